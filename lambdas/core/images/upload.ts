import * as z from 'zod/mini';
import { getChatConfig } from '../configs/repository.ts';
import { ServiceError } from '../errors/service-error.ts';
import type { Runtime } from '../runtime.ts';
import { BYTES_PER_MB, IMAGE_TYPE_ERROR, IMAGE_TYPE_NAMES } from './image-policy.ts';
import type { UploadTicket } from './image-store.ts';

type Deps = Pick<Runtime, 'db' | 'tables' | 'images'>;

const FILE_NAME_MISSING = 'fileName: 不能为空';
const SIZE_ERROR = 'size: 必须是正整数';

export const uploadRequestSchema = z.object({
  fileName: z.string({ error: FILE_NAME_MISSING }).check(z.trim(), z.minLength(1, FILE_NAME_MISSING), z.maxLength(255, 'fileName: 长度不能超过255个字符')),
  contentType: z.enum(IMAGE_TYPE_NAMES, { error: IMAGE_TYPE_ERROR }),
  size: z.number({ error: SIZE_ERROR }).check(z.int(SIZE_ERROR), z.positive(SIZE_ERROR)),
});

export type UploadInput = z.output<typeof uploadRequestSchema>;

/** A presigned upload for one image, bounded by the caller's own `imageMaxSizeMb`. */
export const createImageUpload = async (deps: Deps, userId: string, input: UploadInput): Promise<UploadTicket> => {
  const { imageMaxSizeMb } = await getChatConfig(deps, userId);
  const maxBytes = imageMaxSizeMb * BYTES_PER_MB;
  if (input.size > maxBytes) throw ServiceError.invalid(`size: 单张图片大小不能超过${imageMaxSizeMb}MB`);
  return deps.images.createUpload({ userId, ...input, maxBytes });
};
