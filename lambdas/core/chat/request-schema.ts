import * as z from 'zod';

export const MAX_IMAGES = 10;

const positiveInt = (field: string) =>
  z.number({ error: `${field}: 必须是正整数` }).int(`${field}: 必须是正整数`).positive(`${field}: 必须是正整数`);

/**
 * The stream's request body. `stream` and `temperature`, which the front end sends,
 * are dropped with any other unknown key; an empty `sessionId` means a new session
 * like null does.
 */
export const chatRequestSchema = (maxMessageLength: number) =>
  z.object({
    modelId: positiveInt('modelId'),
    message: z
      .string({ error: 'message: 不能为空' })
      .refine((text) => text.trim() !== '', 'message: 不能为空')
      .refine((text) => text.length <= maxMessageLength, `message: 长度不能超过${maxMessageLength}个字符`)
      // A lone surrogate has no UTF-8 form: DynamoDB and providers would reject or mangle it.
      .transform((text) => text.toWellFormed()),
    sessionId: z.preprocess(
      (value) => (value === '' ? null : value),
      z.uuid({ error: 'sessionId: 必须是UUID' }).nullish(),
    ),
    isReasoning: z.boolean({ error: 'isReasoning: 必须是布尔值' }).nullish(),
    images: z
      .array(z.string({ error: 'images: 必须是字符串数组' }).max(300, 'images: 图片键过长'), { error: 'images: 必须是字符串数组' })
      .max(MAX_IMAGES, `images: 最多${MAX_IMAGES}张图片`)
      .nullish(),
  });

export type ChatRequest = z.output<ReturnType<typeof chatRequestSchema>>;
