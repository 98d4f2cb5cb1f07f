import { GetObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createImageReader } from '../../../../lambdas/core/images/create-image-reader.ts';
import { createImageStore } from '../../../../lambdas/core/images/create-image-store.ts';
import { createS3ImageReader, lazyS3Client } from '../../../../lambdas/core/images/s3-image-reader.ts';
import { createS3ImageStore } from '../../../../lambdas/core/images/s3-image-store.ts';
import { readSettings } from '../../../../lambdas/core/settings.ts';

const BUCKET = 'chat-images-test';
const MAX = 5 * 1024 * 1024;

/** A real client with fixed credentials: presigning is local computation, no request is sent. */
const client = async () => new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });

const amzDateMs = (amzDate: string) => Date.parse(amzDate.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));

describe('S3 image store: presigned POST', () => {
  it("pins the key under the caller's prefix, the content type and the size range, for five minutes", async () => {
    const store = createS3ImageStore({ client, bucket: BUCKET });
    const ticket = await store.createUpload({ userId: '7', fileName: 'x.webp', contentType: 'image/webp', size: 1000, maxBytes: MAX });
    expect(ticket.key).toMatch(/^uploads\/7\/[0-9a-f-]{36}\.webp$/);
    expect(ticket.uploadUrl).toContain(BUCKET);
    expect(ticket.fields).toMatchObject({ key: ticket.key, 'Content-Type': 'image/webp', bucket: BUCKET });
    expect(ticket.fields['X-Amz-Signature']).toMatch(/^[0-9a-f]{64}$/);

    const policy = JSON.parse(Buffer.from(ticket.fields.Policy!, 'base64').toString('utf8'));
    expect(policy.conditions).toEqual(
      expect.arrayContaining([['content-length-range', 1, MAX], { 'Content-Type': 'image/webp' }, { key: ticket.key }, { bucket: BUCKET }]),
    );
    expect(policy.conditions.some((c: unknown) => Array.isArray(c) && c[0] === 'starts-with')).toBe(false);
    expect(Date.parse(policy.expiration) - amzDateMs(ticket.fields['X-Amz-Date']!)).toBe(5 * 60_000);
    // Local time of the default zone, Asia/Shanghai (UTC+8 all year).
    const validFor = Date.parse(`${ticket.expiresAt}+08:00`) - amzDateMs(ticket.fields['X-Amz-Date']!);
    expect(validFor).toBeGreaterThan(4 * 60_000);
    expect(validFor).toBeLessThanOrEqual(5 * 60_000);
  });

  it('refuses a type outside the allowlist', async () => {
    const store = createS3ImageStore({ client, bucket: BUCKET });
    await expect(store.createUpload({ userId: '7', fileName: 'x', contentType: 'image/svg+xml', size: 1, maxBytes: MAX })).rejects.toMatchObject({ code: 601 });
  });
});

describe('S3 image store: presigned GET', () => {
  it('signs a one-hour GET of exactly that key', async () => {
    const url = new URL(await createS3ImageStore({ client, bucket: BUCKET }).viewUrl('uploads/7/abc.png'));
    expect(url.hostname).toContain(BUCKET);
    expect(url.pathname).toBe('/uploads/7/abc.png');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('S3 image read (S3 mocked)', () => {
  const s3 = mockClient(S3Client);
  afterEach(() => s3.reset());

  // The store reads through the reader; both are checked so neither can drift.
  describe.each([
    ['reader', createS3ImageReader],
    ['store', createS3ImageStore],
  ])('through the %s', (_name, create) => {
    it('returns the bytes and type of an object', async () => {
      const bytes = Buffer.from([1, 2, 3, 4]);
      s3.on(GetObjectCommand, { Bucket: BUCKET, Key: 'uploads/7/a.png' }).resolves({
        ContentType: 'image/png',
        Body: { transformToByteArray: async () => new Uint8Array(bytes) } as never,
      });
      const store = create({ client: async () => new S3Client({ region: 'eu-west-1' }), bucket: BUCKET });
      expect(await store.read('uploads/7/a.png')).toEqual({ contentType: 'image/png', bytes });
    });

    it('returns undefined for a missing key and passes other errors on', async () => {
      const store = create({ client: async () => new S3Client({ region: 'eu-west-1' }), bucket: BUCKET });
      s3.on(GetObjectCommand).rejects(new S3ServiceException({ name: 'NoSuchKey', $fault: 'client', $metadata: { httpStatusCode: 404 } }));
      expect(await store.read('uploads/7/gone.png')).toBeUndefined();
      s3.reset();
      s3.on(GetObjectCommand).rejects(new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } }));
      await expect(store.read('uploads/7/secret.png')).rejects.toMatchObject({ name: 'AccessDenied' });
    });
  });

  it('builds no client when the store is made, one when an image is first read', async () => {
    const client = vi.fn(async () => new S3Client({ region: 'eu-west-1' }));
    const store = createS3ImageStore({ client, bucket: BUCKET });
    expect(client).not.toHaveBeenCalled();
    s3.on(GetObjectCommand).resolves({ ContentType: 'image/png', Body: { transformToByteArray: async () => new Uint8Array([9]) } as never });
    expect(await store.read('uploads/7/a.png')).toEqual({ contentType: 'image/png', bytes: Buffer.from([9]) });
    expect(client).toHaveBeenCalledTimes(1);
  });
});

describe('lazyS3Client', () => {
  it('builds one client for the region and hands the same one to every caller', async () => {
    const get = lazyS3Client('eu-west-1');
    const [a, b] = await Promise.all([get(), get()]);
    expect(a).toBeInstanceOf(S3Client);
    expect(b).toBe(a);
    expect(await get()).toBe(a);
    expect(await a.config.region()).toBe('eu-west-1');
  });
});

describe('createImageStore', () => {
  const base = { MODELS_TABLE: 'm', CONFIGS_TABLE: 'c', SESSIONS_TABLE: 's' };

  afterEach(() => vi.unstubAllEnvs());

  it('uses the bucket in AWS and refuses a deployment with neither bucket nor folder', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    const s3Store = createImageStore(readSettings({ ...base, IMAGE_BUCKET: BUCKET, AWS_REGION: 'eu-west-1' }));
    expect(new URL(await s3Store.viewUrl('uploads/7/a.png')).hostname).toContain(BUCKET);
    expect(() => createImageStore(readSettings(base))).toThrow('IMAGE_BUCKET or LOCAL_IMAGE_DIR');
  });
});

describe('createImageReader', () => {
  const base = { MODELS_TABLE: 'm', CONFIGS_TABLE: 'c', SESSIONS_TABLE: 's' };

  it('gives the stream a bucket reader that can only read, and refuses a deployment with neither bucket nor folder', () => {
    const reader = createImageReader(readSettings({ ...base, IMAGE_BUCKET: BUCKET, AWS_REGION: 'eu-west-1' }));
    expect(Object.keys(reader)).toEqual(['read']);
    expect(() => createImageReader(readSettings(base))).toThrow('IMAGE_BUCKET or LOCAL_IMAGE_DIR');
  });
});
