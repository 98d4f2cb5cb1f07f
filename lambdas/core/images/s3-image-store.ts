import { wireTime } from '../time.ts';
import { newImageKey, UPLOAD_TTL_SECONDS, VIEW_TTL_SECONDS } from './image-policy.ts';
import type { ImageStore } from './image-store.ts';
import { createS3ImageReader, type S3ImageOptions } from './s3-image-reader.ts';

/**
 * Images in S3: the browser uploads straight to the bucket with a presigned POST whose
 * policy pins the key, the content type and the size range; the page views them through
 * presigned GETs; reads are the plain reader's. The presigners are imported when first
 * used, like the client, so a request that touches no image does not load them.
 */
export const createS3ImageStore = (options: S3ImageOptions): ImageStore => {
  const { client, bucket } = options;
  return {
    ...createS3ImageReader(options),
    async createUpload({ userId, contentType, maxBytes }) {
      const key = newImageKey(userId, contentType);
      const expiresAt = new Date(Date.now() + UPLOAD_TTL_SECONDS * 1000);
      const [s3, { createPresignedPost }] = await Promise.all([client(), import('@aws-sdk/s3-presigned-post')]);
      // `Fields` become exact-match conditions too, and the key is pinned by the library.
      const { url, fields } = await createPresignedPost(s3, {
        Bucket: bucket,
        Key: key,
        Conditions: [['content-length-range', 1, maxBytes]],
        Fields: { 'Content-Type': contentType },
        Expires: UPLOAD_TTL_SECONDS,
      });
      return { uploadUrl: url, fields, key, expiresAt: wireTime(expiresAt) };
    },
    async viewUrl(key) {
      const [s3, { GetObjectCommand }, { getSignedUrl }] = await Promise.all([client(), import('@aws-sdk/client-s3'), import('@aws-sdk/s3-request-presigner')]);
      return getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: VIEW_TTL_SECONDS });
    },
  };
};
