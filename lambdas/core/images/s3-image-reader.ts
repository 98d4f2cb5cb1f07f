import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ImageReader } from './image-store.ts';

export interface S3ImageOptions {
  client: S3Client;
  bucket: string;
}

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
    try {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!out.Body) return undefined;
      return { contentType: out.ContentType ?? 'application/octet-stream', bytes: Buffer.from(await out.Body.transformToByteArray()) };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  },
});
