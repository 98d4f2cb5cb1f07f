import type { S3Client } from '@aws-sdk/client-s3';
import { memoizeAsync } from '../memo.ts';
import type { ImageReader } from './image-store.ts';

export interface S3ImageOptions {
  /** The client, built on first use (see `lazyS3Client`). */
  client: () => Promise<S3Client>;
  bucket: string;
}

/**
 * Images are read only when a prompt carries one, so the S3 SDK is imported and its
 * client built on the first read instead of at cold start; a failed load is retried.
 */
export const lazyS3Client = (region: string): (() => Promise<S3Client>) =>
  memoizeAsync(async () => new (await import('@aws-sdk/client-s3')).S3Client({ region }));

const isMissing = (err: unknown) => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
};

/**
 * Reads images from S3 with the function's own role (GetObject only): all the chat
 * stream needs, so its bundle carries no presigner.
 */
export const createS3ImageReader = ({ client, bucket }: S3ImageOptions): ImageReader => ({
  async read(key) {
    const [s3, { GetObjectCommand }] = await Promise.all([client(), import('@aws-sdk/client-s3')]);
    try {
      const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!out.Body) return undefined;
      return { contentType: out.ContentType ?? 'application/octet-stream', bytes: Buffer.from(await out.Body.transformToByteArray()) };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  },
});
