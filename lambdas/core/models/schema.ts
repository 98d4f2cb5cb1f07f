import * as z from 'zod/mini';
import { publicUserId } from '../wire/public-user-id.ts';
import { wireTimeOfUtc } from '../time.ts';
import { PROVIDERS } from './providers.ts';
import { pageQueryShape, queryText } from '../validation/page-query.ts';
import { pricesInputSchema, toPublicPrice, type StoredPrice } from '../usage/prices.ts';

/** What every response shows instead of a stored API key. */
export const API_KEY_MASK = '*'.repeat(24);

const flag = (values: readonly [string, ...string[]], field: string) => z.enum(values, { error: `${field}: 只能是 ${values.join('/')}` });

const optionalText = (max: number, field: string) =>
  z.nullish(z.string({ error: `${field}: 必须是字符串` }).check(z.maxLength(max, `${field}: 长度不能超过${max}个字符`)));

/** Trimmed first, so blank is the same as missing. */
const requiredText = (max: number, missing: string, tooLong: string) =>
  z.string({ error: missing }).check(z.trim(), z.minLength(1, missing), z.maxLength(max, tooLong));

const MODEL_ID_ERROR = 'modelId: 必须是正整数';
/** The id of a stored model, in a body. */
const modelIdField = z.number({ error: MODEL_ID_ERROR }).check(z.int(MODEL_ID_ERROR), z.positive(MODEL_ID_ERROR));

/**
 * A model as the admin form sends it. Unknown fields are dropped; wrong types are 601
 * naming the field; the contract's own texts for code and base URL.
 */
export const modelInputSchema = z.object({
  modelCode: requiredText(100, '模型编码不能为空', '模型编码长度不能超过100个字符'),
  modelName: optionalText(100, 'modelName'),
  provider: z.enum(PROVIDERS, { error: (issue) => (issue.input == null || issue.input === '' ? '模型提供商不能为空' : '不支持的模型提供商') }),
  modelSort: z
    .number({ error: '显示顺序不能为空' })
    .check(z.int('modelSort: 必须是整数'), z.minimum(0, 'modelSort: 不能小于0'), z.maximum(1_000_000, 'modelSort: 不能大于1000000')),
  apiKey: optionalText(1024, 'apiKey'),
  baseUrl: requiredText(255, 'Base URL不能为空', 'Base URL长度不能超过255个字符'),
  maxTokens: z.nullish(
    z
      .number({ error: 'maxTokens: 必须是整数' })
      .check(z.int('maxTokens: 必须是整数'), z.minimum(1, 'maxTokens: 必须大于0'), z.maximum(10_000_000, 'maxTokens: 过大')),
  ),
  temperature: z.nullish(
    z.number({ error: 'temperature: 必须是数字' }).check(z.minimum(0, 'temperature: 取值范围0-2'), z.maximum(2, 'temperature: 取值范围0-2')),
  ),
  supportReasoning: z._default(flag(['Y', 'N'], 'supportReasoning'), 'N'),
  supportImages: z._default(flag(['Y', 'N'], 'supportImages'), 'N'),
  modelType: optionalText(50, 'modelType'),
  status: z._default(flag(['0', '1'], 'status'), '0'),
  remark: optionalText(500, 'remark'),
  /** Absent (RuoYi's own form never sends it) keeps what is stored; `[]` clears the schedule. */
  prices: z.nullish(pricesInputSchema),
  /** Absent keeps what is stored; a new model asks for usage in the stream (`Y`) and does not wait for it on a stop (`N`). */
  streamUsage: z.optional(flag(['Y', 'N'], 'streamUsage')),
  usageOnStop: z.optional(flag(['Y', 'N'], 'usageOnStop')),
});

export const modelUpdateSchema = z.extend(modelInputSchema, {
  modelId: modelIdField,
});

/**
 * `POST /ai/model/test`: the model, and the settings its form holds now, so a code or URL
 * typed but not saved yet can be tried. Left out, a setting is the stored one. `apiKey`:
 * left out or the mask, the stored key (only to where it is stored for); typed, that key,
 * for this test only; empty, none. Other fields of the form are dropped.
 */
export const modelTestSchema = z.extend(z.partial(z.pick(modelInputSchema, { modelCode: true, provider: true, baseUrl: true, apiKey: true })), {
  modelId: modelIdField,
});

export type ModelInput = z.output<typeof modelInputSchema>;
export type ModelTestInput = z.output<typeof modelTestSchema>;
export type ModelUpdate = z.output<typeof modelUpdateSchema>;

type UsageSettings = 'prices' | 'streamUsage' | 'usageOnStop';

/** The stored model: the input plus ownership, audit fields and the encrypted key. */
export interface StoredModel extends Omit<ModelInput, 'apiKey' | UsageSettings> {
  modelId: number;
  /** Oldest first (usage/prices.ts); absent on models saved before prices existed. */
  prices?: StoredPrice[];
  /** `Y`/`N`; absent: `Y`. */
  streamUsage?: string;
  /** `Y`/`N`; absent: `N`. */
  usageOnStop?: string;
  apiKeyCipher?: string;
  userId: string;
  deptId?: string;
  /** The creator's department ancestors at create time: RuoYi's scope 4 (department and below). */
  deptAncestors?: string[];
  createBy?: string;
  createTime: string;
  updateBy?: string;
  updateTime?: string;
}

/** The model as every response shows it: the key masked, never the ciphertext. */
export const toPublicModel = (model: StoredModel) => {
  const { apiKeyCipher, userId, deptId, deptAncestors: _ancestors, ...rest } = model;
  return {
    ...rest,
    apiKey: apiKeyCipher ? API_KEY_MASK : null,
    createTime: wireTimeOfUtc(rest.createTime),
    updateTime: wireTimeOfUtc(rest.updateTime),
    userId: publicUserId(userId),
    deptId: deptId ? publicUserId(deptId) : null,
    prices: (rest.prices ?? []).map(toPublicPrice),
    streamUsage: rest.streamUsage ?? 'Y',
    usageOnStop: rest.usageOnStop ?? 'N',
  };
};

export type PublicModel = ReturnType<typeof toPublicModel>;

export const modelListQuerySchema = z.object({
  ...pageQueryShape,
  modelName: queryText(100, 'modelName: 过长'),
  modelCode: queryText(100, 'modelCode: 过长'),
  provider: queryText(50, 'provider: 过长'),
  status: queryText(1, 'status: 只能是 0/1'),
});

export type ModelListQuery = z.output<typeof modelListQuerySchema>;
