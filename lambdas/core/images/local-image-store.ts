import { readFile } from 'node:fs/promises';
import { wireTime } from '../time.ts';
import { imageTypeOfKey, newImageKey, UPLOAD_TTL_SECONDS, VIEW_TTL_SECONDS } from './image-policy.ts';
import type { ImageStore } from './image-store.ts';
import { imageFilePath, keyToUrlPath, LOCAL_IMAGES_PATH, LOCAL_UPLOAD_PATH, loadOrCreateSigningKey, signUploadPolicy, signView } from './local-protocol.ts';

export interface LocalImageStoreOptions {
  /** The folder the local server stores uploads in (LOCAL_IMAGE_DIR). */
  dir: string;
  /** Where the local server answers (LOCAL_PUBLIC_URL), e.g. `http://127.0.0.1:3000`. */
  publicUrl: string;
}

/**
 * Images in a local folder for the local stack: the browser posts to the local server's
 * upload route with a policy signed here, and views images through URLs signed here.
 */
export const createLocalImageStore = ({ dir, publicUrl }: LocalImageStoreOptions): ImageStore => {
  const secret = loadOrCreateSigningKey(dir);
  const base = publicUrl.replace(/\/+$/, '');
  return {
    async createUpload({ userId, contentType, maxBytes }) {
      const key = newImageKey(userId, contentType);
      const expiresAt = Date.now() + UPLOAD_TTL_SECONDS * 1000;
      const signed = signUploadPolicy(secret, { userId, key, contentType, maxBytes, expiresAt });
      return {
        uploadUrl: `${base}${LOCAL_UPLOAD_PATH}`,
        fields: { key, 'Content-Type': contentType, ...signed },
        key,
        expiresAt: wireTime(expiresAt),
      };
    },
    async read(key) {
      const path = imageFilePath(dir, key);
      const contentType = imageTypeOfKey(key);
      if (!path || !contentType) return undefined;
      try {
        return { contentType, bytes: await readFile(path) };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    async viewUrl(key) {
      const expiresAtS = Math.floor(Date.now() / 1000) + VIEW_TTL_SECONDS;
      return `${base}${LOCAL_IMAGES_PATH}/${keyToUrlPath(key)}?${signView(secret, key, expiresAtS)}`;
    },
  };
};
