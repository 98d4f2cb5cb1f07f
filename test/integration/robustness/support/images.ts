import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { imageFilePath } from '../../../../lambdas/core/images/local-protocol.ts';

/** The first bytes of a PNG: enough for the store and the model request, which never decode it. */
export const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

/** Puts an uploaded image where the local image store (LOCAL_IMAGE_DIR) keeps `key`; returns its path. */
export const storeImage = (key: string, bytes: Buffer = PNG): string => {
  const path = imageFilePath(process.env.LOCAL_IMAGE_DIR!, key)!;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return path;
};
