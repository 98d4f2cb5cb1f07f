import type { UploadTicket } from '../wire/types.ts';

/** Read access to uploaded images: all the chat stream gets, as its role only reads. */
export interface ImageReader {
  /** The image bytes, or undefined when the key does not exist. */
  read(key: string): Promise<StoredImage | undefined>;
}

/** Where uploaded images live: S3 in AWS, a local folder on the local stack. */
export interface ImageStore extends ImageReader {
  /** A presigned POST the browser uploads one image with. */
  createUpload(request: UploadRequest): Promise<UploadTicket>;
  /** A URL the browser can open (presigned GET in AWS). */
  viewUrl(key: string): Promise<string>;
}

export interface UploadRequest {
  userId: string;
  fileName: string;
  contentType: string;
  size: number;
  /** The largest file the ticket admits: the declared size, which the caller's quota counted. */
  maxBytes: number;
}

export interface StoredImage {
  contentType: string;
  bytes: Buffer;
}

/** The caller's own upload prefix; keys elsewhere are ignored, as the seed ignores paths outside its folder. */
export const uploadPrefix = (userId: string) => `uploads/${userId}/`;

const KEY_NAME = /^[A-Za-z0-9-]{1,64}\.[a-z0-9]{1,5}$/;

export const isOwnImageKey = (userId: string, key: unknown): key is string =>
  typeof key === 'string' && key.startsWith(uploadPrefix(userId)) && KEY_NAME.test(key.slice(uploadPrefix(userId).length));
