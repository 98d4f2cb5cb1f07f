import { once } from 'node:events';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BYTES_PER_MB } from '../../../lambdas/core/images/image-policy.ts';
import { loadOrCreateSigningKey, signUploadPolicy, signView } from '../../../lambdas/core/images/local-protocol.ts';
import { createImageStore } from '../../../lambdas/core/images/create-image-store.ts';
import { createRuntime, type Runtime } from '../../../lambdas/core/runtime.ts';
import { createLocalServer, type ApiHandler } from '../../../local/server.ts';
import { createUploadRoute } from '../../../local/upload-route.ts';
import { loadApiHandler, type ApiCall } from '../../support/api-call.ts';
import { createTestEnv } from '../../support/test-runtime.ts';
import { bearer, CHAT_USER } from '../../support/tokens.ts';

let api: (call: ApiCall) => Promise<{ json: Record<string, any> }>;
let rt: Runtime;
let server: Server;
let baseUrl: string;
let imageDir: string;

const TICKETS_PER_MINUTE = 4;
const MB_PER_DAY = 10;

beforeAll(async () => {
  // The local server first, so the store can sign URLs that point at it.
  let apiHandler: ApiHandler | undefined;
  const env = await createTestEnv({ UPLOAD_TICKETS_PER_MINUTE: String(TICKETS_PER_MINUTE), UPLOAD_MB_PER_DAY: String(MB_PER_DAY) });
  imageDir = env.LOCAL_IMAGE_DIR!;
  server = createLocalServer({
    apiHandler: (event, context) => apiHandler!(event, context),
    streamHandler: async () => {
      throw new Error('no stream in this test');
    },
    localRoutes: [createUploadRoute({ dir: imageDir })],
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  env.LOCAL_PUBLIC_URL = baseUrl;
  api = await loadApiHandler(env);
  apiHandler = (await import('../../../lambdas/api/handler.ts')).handler as unknown as ApiHandler;
  rt = await createRuntime(env, createImageStore);
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
});

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

const ticketFor = async (userId: number, body: unknown) =>
  (await api({ method: 'POST', path: '/ai/chat/upload', authorization: await bearer(CHAT_USER(userId)), body })).json;

const postForm = async (uploadUrl: string, fields: Record<string, string>, file: Blob | undefined) => {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (file) form.append('file', file, 'photo.png');
  return fetch(uploadUrl, { method: 'POST', body: form });
};

describe('POST /ai/chat/upload', () => {
  it("answers a ticket for a random key under the caller's prefix, for the local server", async () => {
    const res = await ticketFor(501, { fileName: 'cat.png', contentType: 'image/png', size: PNG.length });
    expect(res).toMatchObject({ code: 200, success: true });
    const { uploadUrl, fields, key, expiresAt } = res.data;
    expect(uploadUrl).toBe(`${baseUrl}/local/uploads`);
    expect(key).toMatch(/^uploads\/501\/[0-9a-f-]{36}\.png$/);
    expect(key).not.toContain('cat');
    expect(fields).toMatchObject({ key, 'Content-Type': 'image/png', policy: expect.any(String), signature: expect.any(String) });
    expect(expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    const again = await ticketFor(501, { fileName: 'cat.png', contentType: 'image/png', size: PNG.length });
    expect(again.data.key).not.toBe(key);
  });

  it.each([
    [{ fileName: 'a.svg', contentType: 'image/svg+xml', size: 10 }, 'contentType: 只支持 png/jpg/gif/webp 图片'],
    [{ fileName: 'a.txt', contentType: 'text/plain', size: 10 }, 'contentType: 只支持 png/jpg/gif/webp 图片'],
    [{ fileName: 'a.png', contentType: 'image/png', size: 5 * BYTES_PER_MB + 1 }, 'size: 单张图片大小不能超过5MB'],
    [{ fileName: 'a.png', contentType: 'image/png', size: 0 }, 'size: 必须是正整数'],
    [{ fileName: 'a.png', contentType: 'image/png', size: 1.5 }, 'size: 必须是正整数'],
    [{ fileName: '', contentType: 'image/png', size: 10 }, 'fileName: 不能为空'],
    [{ contentType: 'image/png', size: 10 }, 'fileName: 不能为空'],
  ])('refuses %j with 601', async (body, msg) => {
    expect(await ticketFor(502, body)).toMatchObject({ code: 601, msg, success: false });
  });

  it("bounds the size by the caller's own imageMaxSizeMb", async () => {
    const auth = await bearer(CHAT_USER(503));
    await api({ method: 'PUT', path: '/ai/chat/config', authorization: auth, body: { imageMaxSizeMb: 8 } });
    expect((await ticketFor(503, { fileName: 'b.jpg', contentType: 'image/jpeg', size: 8 * BYTES_PER_MB })).code).toBe(200);
    expect(await ticketFor(503, { fileName: 'b.jpg', contentType: 'image/jpeg', size: 8 * BYTES_PER_MB + 1 })).toMatchObject({
      code: 601,
      msg: 'size: 单张图片大小不能超过8MB',
    });
    expect((await ticketFor(504, { fileName: 'b.jpg', contentType: 'image/jpeg', size: 8 * BYTES_PER_MB })).code).toBe(601);
  });
});

/** How many fixed windows of `windowMs` the calls in `fn` spanned: a count bound holds per window. */
const windowsSpanned = async <T>(windowMs: number, fn: () => Promise<T>): Promise<{ result: T; windows: number }> => {
  const first = Math.floor(Date.now() / windowMs);
  const result = await fn();
  return { result, windows: Math.floor(Date.now() / windowMs) - first + 1 };
};

describe('upload bounds (issue 14, item 5)', () => {
  it('rate limits tickets per user: past UPLOAD_TICKETS_PER_MINUTE, code 429, other users unaffected', async () => {
    const body = { fileName: 'r.png', contentType: 'image/png', size: PNG.length };
    const { result, windows } = await windowsSpanned(60_000, () => Promise.all(Array.from({ length: 3 * TICKETS_PER_MINUTE }, () => ticketFor(520, body))));
    const granted = result.filter((r) => r.code === 200).length;
    expect(granted).toBe(Math.min(result.length, TICKETS_PER_MINUTE * windows));
    for (const refused of result.filter((r) => r.code !== 200)) {
      expect(refused).toMatchObject({ code: 429, msg: '请求过于频繁，请稍后再试', success: false });
    }
    expect((await ticketFor(521, body)).code).toBe(200);
  });

  it('sums the declared sizes per user and day: past UPLOAD_MB_PER_DAY a clear refusal, no ticket, others unaffected', async () => {
    const auth = await bearer(CHAT_USER(522));
    await api({ method: 'PUT', path: '/ai/chat/config', authorization: auth, body: { imageMaxSizeMb: 6 } });
    const ticket = (size: number) => ticketFor(522, { fileName: 'q.png', contentType: 'image/png', size });
    // Four tickets, within the per-minute rate: 6 MB, 6 more (past 10), 4 (exactly 10), 1 byte (past).
    const { result, windows } = await windowsSpanned(24 * 3600_000, async () => [
      await ticket(6 * BYTES_PER_MB),
      await ticket(6 * BYTES_PER_MB),
      await ticket(4 * BYTES_PER_MB),
      await ticket(1),
    ]);
    if (windows > 1) return; // the day turned mid-test (UTC midnight): the sum restarted, nothing to check
    expect(result.map((r) => r.code)).toEqual([200, 500, 200, 500]);
    for (const refused of [result[1], result[3]]) {
      expect(refused).toMatchObject({ msg: `图片上传总量已达每日上限（${MB_PER_DAY}MB），请稍后再试`, success: false });
      expect(refused!.data).toBeUndefined();
    }
    expect((await ticketFor(523, { fileName: 'q.png', contentType: 'image/png', size: 4 * BYTES_PER_MB })).code).toBe(200);
  });

  it('a refused oversize request takes nothing from the day', async () => {
    const auth = await bearer(CHAT_USER(524));
    await api({ method: 'PUT', path: '/ai/chat/config', authorization: auth, body: { imageMaxSizeMb: 20 } });
    expect((await ticketFor(524, { fileName: 'q.png', contentType: 'image/png', size: 20 * BYTES_PER_MB })).code).toBe(500);
    expect((await ticketFor(524, { fileName: 'q.png', contentType: 'image/png', size: MB_PER_DAY * BYTES_PER_MB })).code).toBe(200);
  });
});

describe('the local upload route', () => {
  it('stores an upload the ticket allows; the store reads it back and its view URL serves it', async () => {
    const { uploadUrl, fields, key } = (await ticketFor(505, { fileName: 'p.png', contentType: 'image/png', size: PNG.length })).data;
    const res = await postForm(uploadUrl, fields, new Blob([PNG], { type: 'image/png' }));
    expect(res.status).toBe(204);
    expect(await rt.images.read(key)).toEqual({ contentType: 'image/png', bytes: PNG });

    const view = await fetch(await rt.images.viewUrl(key));
    expect(view.status).toBe(200);
    expect(view.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await view.arrayBuffer())).toEqual(PNG);
  });

  it('serves images only through a valid, unexpired signature', async () => {
    const { uploadUrl, fields, key } = (await ticketFor(506, { fileName: 'p.png', contentType: 'image/png', size: PNG.length })).data;
    await postForm(uploadUrl, fields, new Blob([PNG]));
    const signed = new URL(await rt.images.viewUrl(key));
    const bare = `${signed.origin}${signed.pathname}`;
    expect((await fetch(bare)).status).toBe(403);
    expect((await fetch(`${bare}?exp=${signed.searchParams.get('exp')}&sig=AAAA`)).status).toBe(403);
    const secret = loadOrCreateSigningKey(imageDir);
    expect((await fetch(`${bare}?${signView(secret, key, Math.floor(Date.now() / 1000) - 1)}`)).status).toBe(403);
    const otherKey = key.replace(/[0-9a-f]{8}-/, '00000000-');
    expect((await fetch(`${signed.origin}/local/images/${otherKey}${signed.search}`)).status).toBe(403);
    expect(
      (await fetch(`${signed.origin}/local/images/uploads/506/..%2F..%2F.signing-key?${signView(secret, 'uploads/506/../../.signing-key', 9_999_999_999)}`))
        .status,
    ).toBe(404);
  });

  it('refuses a file over the declared size (the quota counted that size), and an empty one, storing nothing', async () => {
    const auth = await bearer(CHAT_USER(507));
    await api({ method: 'PUT', path: '/ai/chat/config', authorization: auth, body: { imageMaxSizeMb: 1 } });
    const { uploadUrl, fields, key } = (await ticketFor(507, { fileName: 'p.png', contentType: 'image/png', size: 1000 })).data;
    for (const bytes of [BYTES_PER_MB, 1001]) {
      const big = await postForm(uploadUrl, fields, new Blob([Buffer.alloc(bytes)]));
      expect(big.status).toBe(400);
      expect(await big.text()).toContain('EntityTooLarge');
    }
    expect((await postForm(uploadUrl, fields, new Blob([]))).status).toBe(400);
    expect((await postForm(uploadUrl, fields, undefined)).status).toBe(400);
    expect(await rt.images.read(key)).toBeUndefined();
    expect((await postForm(uploadUrl, fields, new Blob([Buffer.alloc(1000)]))).status).toBe(204);
  });

  it("refuses another type, another key, another user's prefix, a forged or expired policy", async () => {
    const { uploadUrl, fields, key } = (await ticketFor(508, { fileName: 'p.png', contentType: 'image/png', size: PNG.length })).data;
    const file = new Blob([PNG]);
    const secret = loadOrCreateSigningKey(imageDir);
    const foreignKey = key.replace('uploads/508/', 'uploads/509/');
    const policy = (over: Record<string, unknown>) =>
      signUploadPolicy(secret, { userId: '508', key, contentType: 'image/png', maxBytes: BYTES_PER_MB, expiresAt: Date.now() + 60_000, ...over });
    const attempts: Record<string, string>[] = [
      { ...fields, 'Content-Type': 'text/html' },
      { ...fields, key: key.replace(/\.png$/, '.gif') },
      { ...fields, key: foreignKey },
      {
        ...fields,
        policy: Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(fields.policy, 'base64url').toString()), key: foreignKey })).toString('base64url'),
        key: foreignKey,
      },
      { ...fields, ...policy({ key: foreignKey }), key: foreignKey },
      { ...fields, ...policy({ contentType: 'text/html' }), 'Content-Type': 'text/html' },
      { ...fields, ...policy({ expiresAt: Date.now() - 1 }) },
      { ...fields, signature: '' },
    ];
    for (const form of attempts) expect((await postForm(uploadUrl, form, file)).status, JSON.stringify(form)).toBe(403);
    expect(existsSync(join(imageDir, foreignKey))).toBe(false);
    expect(await rt.images.read(key)).toBeUndefined();
  });

  it('refuses a body that is not a multipart form', async () => {
    const res = await fetch(`${baseUrl}/local/uploads`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(400);
  });
});

describe('the local image store', () => {
  it('reads nothing for a missing key or one that could leave its folder', async () => {
    expect(await rt.images.read('uploads/510/0b6f1c4e-8f7a-4d3b-9c2e-1a2b3c4d5e6f.png')).toBeUndefined();
    expect(await rt.images.read('uploads/../../etc/passwd.png')).toBeUndefined();
    expect(await rt.images.read('.signing-key')).toBeUndefined();
  });
});
