import { randomUUID } from 'node:crypto';
import { ServiceError } from '../errors/service-error.ts';
import { uploadPrefix } from './image-store.ts';

/** The image types an upload may declare, with the extension its key gets. */
export const IMAGE_TYPES = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
} as const;

export type ImageType = keyof typeof IMAGE_TYPES;

export const IMAGE_TYPE_NAMES = Object.keys(IMAGE_TYPES) as [ImageType, ...ImageType[]];

export const isImageType = (value: string): value is ImageType => Object.hasOwn(IMAGE_TYPES, value);

/** The type a stored key was issued for, read back from its extension. */
export const imageTypeOfKey = (key: string): ImageType | undefined => IMAGE_TYPE_NAMES.find((type) => key.endsWith(`.${IMAGE_TYPES[type]}`));

/** The type the bytes themselves say, from their signature; undefined for anything but the four types. */
export const sniffImageType = (bytes: Uint8Array): ImageType | undefined => {
  const ascii = (start: number, end: number) => String.fromCharCode(...bytes.subarray(start, end));
  if (bytes.length >= 8 && ascii(1, 4) === 'PNG' && bytes[0] === 0x89 && bytes[4] === 0x0d && bytes[5] === 0x0a && bytes[6] === 0x1a && bytes[7] === 0x0a)
    return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 6 && (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a')) return 'image/gif';
  if (bytes.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  return undefined;
};

/** How long an upload ticket and a view URL stay valid. */
export const UPLOAD_TTL_SECONDS = 5 * 60;
export const VIEW_TTL_SECONDS = 60 * 60;

export const BYTES_PER_MB = 1024 * 1024;

export const IMAGE_TYPE_ERROR = `contentType: 只支持 ${Object.values(IMAGE_TYPES).join('/')} 图片`;

/** A fresh key under the caller's own prefix; the name is random, never the file's. */
export const newImageKey = (userId: string, contentType: string): string => {
  if (!isImageType(contentType)) throw ServiceError.invalid(IMAGE_TYPE_ERROR);
  return `${uploadPrefix(userId)}${randomUUID()}.${IMAGE_TYPES[contentType]}`;
};
