import type { S3Client } from '@aws-sdk/client-s3';
import type { KeptRunStore } from './kept-run-store.ts';

export interface S3KeptRunOptions {
  /** The client, built on first use: a run is kept only when DynamoDB failed, so the SDK never loads at cold start. */
  client: () => Promise<S3Client>;
  bucket: string;
}

const isMissing = (err: unknown) => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
};

/**
 * Kept runs as objects of the kept-runs bucket (lib/kept-runs.ts): S3 answers a put only
 * once the object is stored durably, and notifies the drain's queue of it.
 */
export const createS3KeptRunStore = ({ client, bucket }: S3KeptRunOptions): KeptRunStore => {
  const sdk = async () => Promise.all([client(), import('@aws-sdk/client-s3')]);
  return {
    async put(key, body, deadline) {
      const [s3, { PutObjectCommand }] = await sdk();
      const abortSignal = AbortSignal.timeout(Math.max(0, deadline - Date.now()));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }), { abortSignal });
    },
    async get(key) {
      const [s3, { GetObjectCommand }] = await sdk();
      try {
        const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return out.Body ? await out.Body.transformToString('utf8') : undefined;
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw err;
      }
    },
    async delete(key) {
      const [s3, { DeleteObjectCommand }] = await sdk();
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
  };
};
