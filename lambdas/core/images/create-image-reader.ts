import type { Settings } from '../settings.ts';
import { selectImageBackend } from './image-backend.ts';
import type { ImageReader } from './image-store.ts';
import { createS3ImageReader } from './s3-image-reader.ts';

/** Reads only, for the chat stream: the S3 side without the presigners. */
export const createImageReader = (settings: Settings): ImageReader => selectImageBackend(settings, createS3ImageReader);
