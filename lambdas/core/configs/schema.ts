import * as z from 'zod';
import { publicUserId } from '../http/public-user-id.ts';

const flag = (field: string) => z.enum(['0', '1'], { error: `${field}: 只能是 0/1` });

export const MAX_SYSTEM_PROMPT_LENGTH = 4000;

/**
 * The config form's body. `userId`, `createTime` and `updateTime` are accepted and
 * ignored (the config always belongs to the caller); a field left out keeps its value.
 */
export const chatConfigInputSchema = z.object({
  chatConfigId: z.number({ error: 'chatConfigId: 必须是正整数' }).int('chatConfigId: 必须是正整数').positive('chatConfigId: 必须是正整数').nullish(),
  temperature: z.number({ error: 'temperature: 必须是数字' }).min(0, 'temperature: 取值范围0-2').max(2, 'temperature: 取值范围0-2').nullish(),
  addHistoryToContext: flag('addHistoryToContext').optional(),
  numHistoryRuns: z.number({ error: 'numHistoryRuns: 必须是整数' }).int('numHistoryRuns: 必须是整数').min(1, 'numHistoryRuns: 取值范围1-50').max(50, 'numHistoryRuns: 取值范围1-50').optional(),
  // A blank prompt means "the default prompt", stored as null so readers need one test only.
  systemPrompt: z
    .string({ error: 'systemPrompt: 必须是字符串' })
    .max(MAX_SYSTEM_PROMPT_LENGTH, `systemPrompt: 长度不能超过${MAX_SYSTEM_PROMPT_LENGTH}个字符`)
    .nullish()
    .transform((v) => (v === undefined ? undefined : v?.trim() ? v : null)),
  metricsDefaultVisible: flag('metricsDefaultVisible').optional(),
  visionEnabled: flag('visionEnabled').optional(),
  imageMaxSizeMb: z.number({ error: 'imageMaxSizeMb: 必须是整数' }).int('imageMaxSizeMb: 必须是整数').min(1, 'imageMaxSizeMb: 取值范围1-20').max(20, 'imageMaxSizeMb: 取值范围1-20').optional(),
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
});
