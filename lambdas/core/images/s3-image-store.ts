import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { toIso } from '../time.ts';
import { newImageKey, UPLOAD_TTL_SECONDS, VIEW_TTL_SECONDS } from './image-policy.ts';
import type { ImageStore } from './image-store.ts';

export interface S3ImageStoreOptions {
  client: S3Client;
  bucket: string;
}

const isMissing = (err: unknown) => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
};

/**
 * Images in S3: the browser uploads straight to the bucket with a presigned POST whose
 * policy pins the key, the content type and the size range; the page views them through
 * presigned GETs; the stream reads them with the function's own role.
 */
export const createS3ImageStore = ({ client, bucket }: S3ImageStoreOptions): ImageStore => ({
  async createUpload({ userId, contentType, maxBytes }) {
    const key = newImageKey(userId, contentType);
    const expiresAt = new Date(Date.now() + UPLOAD_TTL_SECONDS * 1000);
    // `Fields` become exact-match conditions too, and the key is pinned by the library.
    const { url, fields } = await createPresignedPost(client, {
      Bucket: bucket,
      Key: key,
      Conditions: [['content-length-range', 1, maxBytes]],
      Fields: { 'Content-Type': contentType },
      Expires: UPLOAD_TTL_SECONDS,
    });
    return { uploadUrl: url, fields, key, expiresAt: toIso(expiresAt) };
  },
  async read(key) {
    try {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!out.Body) return undefined;
      return { contentType: out.ContentType ?? 'application/octet-stream', bytes: Buffer.from(await out.Body.transformToByteArray()) };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  },
  viewUrl: (key) => getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: VIEW_TTL_SECONDS }),
});
