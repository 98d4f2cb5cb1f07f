import * as z from 'zod';
import { getChatConfig } from '../configs/repository.ts';
import { ServiceError } from '../errors/service-error.ts';
import type { Runtime } from '../runtime.ts';
import { BYTES_PER_MB, IMAGE_TYPE_ERROR, IMAGE_TYPE_NAMES } from './image-policy.ts';
import type { UploadTicket } from './image-store.ts';

type Deps = Pick<Runtime, 'db' | 'tables' | 'images'>;

export const uploadRequestSchema = z.object({
  fileName: z.string({ error: 'fileName: 不能为空' }).trim().min(1, 'fileName: 不能为空').max(255, 'fileName: 长度不能超过255个字符'),
  contentType: z.enum(IMAGE_TYPE_NAMES, { error: IMAGE_TYPE_ERROR }),
  size: z.number({ error: 'size: 必须是正整数' }).int('size: 必须是正整数').positive('size: 必须是正整数'),
});

export type UploadInput = z.output<typeof uploadRequestSchema>;

/** A presigned upload for one image, bounded by the caller's own `imageMaxSizeMb`. */
export const createImageUpload = async (deps: Deps, userId: string, input: UploadInput): Promise<UploadTicket> => {
  const { imageMaxSizeMb } = await getChatConfig(deps, userId);
  const maxBytes = imageMaxSizeMb * BYTES_PER_MB;
  if (input.size > maxBytes) throw ServiceError.invalid(`size: 单张图片大小不能超过${imageMaxSizeMb}MB`);
  return deps.images.createUpload({ userId, ...input, maxBytes });
};
