import type { Settings } from '../settings.ts';
import type { ImageReader, ImageStore } from './image-store.ts';
import { createLocalImageStore } from './local-image-store.ts';
import { lazyS3Client, type S3ImageOptions } from './s3-image-reader.ts';

/** Where `npm start` answers unless LOCAL_PUBLIC_URL says otherwise. */
const DEFAULT_LOCAL_PUBLIC_URL = 'http://127.0.0.1:3000';

/**
 * The local folder when LOCAL_IMAGE_DIR is set (the local stack), the S3 bucket otherwise,
 * through `fromS3`: the caller picks how much of S3 it gets, so a reader's bundle never
 * imports the presigners.
 */
export const selectImageBackend = <Images extends ImageReader>(settings: Settings, fromS3: (options: S3ImageOptions) => Images): Images | ImageStore => {
  if (settings.LOCAL_IMAGE_DIR) {
    return createLocalImageStore({
      dir: settings.LOCAL_IMAGE_DIR,
      publicUrl: settings.LOCAL_PUBLIC_URL ?? DEFAULT_LOCAL_PUBLIC_URL,
    });
  }
  if (settings.IMAGE_BUCKET) return fromS3({ client: lazyS3Client(settings.AWS_REGION), bucket: settings.IMAGE_BUCKET });
  throw new Error('configuration: set IMAGE_BUCKET or LOCAL_IMAGE_DIR');
};
