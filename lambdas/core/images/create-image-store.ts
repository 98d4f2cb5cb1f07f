import type { Settings } from '../settings.ts';
import { selectImageBackend } from './image-backend.ts';
import type { ImageStore } from './image-store.ts';
import { createS3ImageStore } from './s3-image-store.ts';

/** Uploads, views and reads, for the REST API. */
export const createImageStore = (settings: Settings): ImageStore => selectImageBackend(settings, createS3ImageStore);
