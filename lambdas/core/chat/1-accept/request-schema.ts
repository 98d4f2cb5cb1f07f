import * as z from 'zod/mini';

export const MAX_IMAGES = 10;

const positiveInt = (field: string) => {
  const error = `${field}: 必须是正整数`;
  return z.number({ error }).check(z.int(error), z.positive(error));
};

const IMAGES_ERROR = 'images: 必须是字符串数组';

/**
 * The stream's request body. `stream` and `temperature`, which the front end sends,
 * are dropped with any other unknown key; an empty `sessionId` means a new session
 * like null does.
 */
export const chatRequestSchema = (maxMessageLength: number) =>
  z.object({
    modelId: positiveInt('modelId'),
    message: z.pipe(
      z.string({ error: 'message: 不能为空' }).check(
        z.refine((text) => text.trim() !== '', 'message: 不能为空'),
        z.refine((text) => text.length <= maxMessageLength, `message: 长度不能超过${maxMessageLength}个字符`),
      ),
      // A lone surrogate has no UTF-8 form: DynamoDB and providers would reject or mangle it.
      z.transform((text: string) => text.toWellFormed()),
    ),
    sessionId: z.pipe(
      z.transform((value: unknown) => (value === '' ? null : value)),
      z.nullish(z.uuid({ error: 'sessionId: 必须是UUID' })),
    ),
    isReasoning: z.nullish(z.boolean({ error: 'isReasoning: 必须是布尔值' })),
    images: z.nullish(
      z
        .array(z.string({ error: IMAGES_ERROR }).check(z.maxLength(300, 'images: 图片键过长')), { error: IMAGES_ERROR })
        .check(z.maxLength(MAX_IMAGES, `images: 最多${MAX_IMAGES}张图片`)),
    ),
  });

export type ChatRequest = z.output<ReturnType<typeof chatRequestSchema>>;
