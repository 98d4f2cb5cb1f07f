import * as z from 'zod/mini';
import { publicUserId } from '../wire/public-user-id.ts';
import { wireTimeOfUtc } from '../time.ts';

const flag = (field: string) => z.optional(z.enum(['0', '1'], { error: `${field}: 只能是 0/1` }));

const intInRange = (field: string, min: number, max: number) => {
  const notInt = `${field}: 必须是整数`;
  const range = `${field}: 取值范围${min}-${max}`;
  return z.optional(z.number({ error: notInt }).check(z.int(notInt), z.minimum(min, range), z.maximum(max, range)));
};

export const MAX_SYSTEM_PROMPT_LENGTH = 4000;

const CONFIG_ID_ERROR = 'chatConfigId: 必须是正整数';

/**
 * The config form's body. `userId`, `createTime` and `updateTime` are accepted and
 * ignored (the config always belongs to the caller); a field left out keeps its value.
 */
export const chatConfigInputSchema = z.object({
  chatConfigId: z.nullish(z.number({ error: CONFIG_ID_ERROR }).check(z.int(CONFIG_ID_ERROR), z.positive(CONFIG_ID_ERROR))),
  temperature: z.nullish(
    z.number({ error: 'temperature: 必须是数字' }).check(z.minimum(0, 'temperature: 取值范围0-2'), z.maximum(2, 'temperature: 取值范围0-2')),
  ),
  addHistoryToContext: flag('addHistoryToContext'),
  numHistoryRuns: intInRange('numHistoryRuns', 1, 50),
  // A blank prompt means "the default prompt", stored as null so readers need one test only.
  systemPrompt: z.pipe(
    z.nullish(
      z
        .string({ error: 'systemPrompt: 必须是字符串' })
        .check(z.maxLength(MAX_SYSTEM_PROMPT_LENGTH, `systemPrompt: 长度不能超过${MAX_SYSTEM_PROMPT_LENGTH}个字符`)),
    ),
    z.transform((v: string | null | undefined) => (v === undefined ? undefined : v?.trim() ? v : null)),
  ),
  metricsDefaultVisible: flag('metricsDefaultVisible'),
  visionEnabled: flag('visionEnabled'),
  imageMaxSizeMb: intInRange('imageMaxSizeMb', 1, 20),
});

export type ChatConfigInput = z.output<typeof chatConfigInputSchema>;

/** A user's effective config: saved values over the front end's defaults. */
export interface ChatConfig {
  chatConfigId: number | null;
  userId: string;
  temperature: number | null;
  addHistoryToContext: '0' | '1';
  numHistoryRuns: number;
  systemPrompt: string | null;
  metricsDefaultVisible: '0' | '1';
  visionEnabled: '0' | '1';
  imageMaxSizeMb: number;
  createTime: string | null;
  updateTime: string | null;
}

export const defaultChatConfig = (userId: string): ChatConfig => ({
  chatConfigId: null,
  userId,
  temperature: null,
  addHistoryToContext: '0',
  numHistoryRuns: 3,
  systemPrompt: null,
  metricsDefaultVisible: '1',
  visionEnabled: '0',
  imageMaxSizeMb: 5,
  createTime: null,
  updateTime: null,
});

/**
 * The config as the front end reads it: numeric user ids as numbers, and an empty prompt
 * instead of null because the form binds it to a text box.
 */
export const toPublicChatConfig = (config: ChatConfig) => ({
  ...config,
  userId: publicUserId(config.userId),
  systemPrompt: config.systemPrompt ?? '',
  createTime: wireTimeOfUtc(config.createTime),
  updateTime: wireTimeOfUtc(config.updateTime),
});
