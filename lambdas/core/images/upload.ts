import * as z from 'zod/mini';
import { getChatConfig } from '../configs/repository.ts';
import { ServiceError } from '../errors/service-error.ts';
import { enforceRateLimit, takeFromWindow } from '../ratelimit/rate-limit.ts';
import type { Runtime } from '../runtime.ts';
import { BYTES_PER_MB, IMAGE_TYPE_ERROR, IMAGE_TYPE_NAMES } from './image-policy.ts';
import type { UploadTicket } from '../wire/types.ts';
import { uploadQuotaMessage } from '../wire/messages.ts';

type Deps = Pick<Runtime, 'db' | 'tables' | 'images' | 'settings'>;

const FILE_NAME_MISSING = 'fileName: 不能为空';
const SIZE_ERROR = 'size: 必须是正整数';
const DAY_MS = 24 * 3600_000;

export const uploadRequestSchema = z.object({
  fileName: z.string({ error: FILE_NAME_MISSING }).check(z.trim(), z.minLength(1, FILE_NAME_MISSING), z.maxLength(255, 'fileName: 长度不能超过255个字符')),
  contentType: z.enum(IMAGE_TYPE_NAMES, { error: IMAGE_TYPE_ERROR }),
  size: z.number({ error: SIZE_ERROR }).check(z.int(SIZE_ERROR), z.positive(SIZE_ERROR)),
});

export type UploadInput = z.output<typeof uploadRequestSchema>;

/**
 * A presigned upload for one image of exactly the declared size, bounded by the caller's
 * own `imageMaxSizeMb`. Tickets are rate limited per user, and the declared sizes are
 * summed per user and UTC day: a ticket admits no more than its size, so that sum bounds
 * what a user can store, whichever instance granted the tickets.
 */
export const createImageUpload = async (deps: Deps, userId: string, input: UploadInput): Promise<UploadTicket> => {
  // Bad input first, so a refused request changes nothing, not even a counter.
  const { imageMaxSizeMb } = await getChatConfig(deps, userId);
  if (input.size > imageMaxSizeMb * BYTES_PER_MB) throw ServiceError.invalid(`size: 单张图片大小不能超过${imageMaxSizeMb}MB`);
  await enforceRateLimit(deps, userId, 'upload', deps.settings.UPLOAD_TICKETS_PER_MINUTE);
  const mbPerDay = deps.settings.UPLOAD_MB_PER_DAY;
  const allowance = { key: `RATE#${userId}#upload-bytes`, windowMs: DAY_MS, amount: input.size, limit: mbPerDay * BYTES_PER_MB, now: Date.now() };
  if (!(await takeFromWindow(deps, allowance))) throw ServiceError.service(uploadQuotaMessage(mbPerDay));
  return deps.images.createUpload({ userId, ...input, maxBytes: input.size });
};
