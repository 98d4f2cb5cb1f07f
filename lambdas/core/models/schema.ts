import * as z from 'zod';
import { publicUserId } from '../http/public-user-id.ts';
import { PROVIDERS } from './providers.ts';

/** What every response shows instead of a stored API key. */
export const API_KEY_MASK = '*'.repeat(24);

const flag = (values: readonly [string, ...string[]], field: string) =>
  z.enum(values, { error: `${field}: 只能是 ${values.join('/')}` });

const optionalText = (max: number, field: string) =>
  z.string({ error: `${field}: 必须是字符串` }).max(max, `${field}: 长度不能超过${max}个字符`).nullish();

/**
 * A model as the admin form sends it. Unknown fields are dropped; wrong types are 601
 * naming the field; the contract's own texts for code and base URL.
 */
export const modelInputSchema = z.object({
  modelCode: z
    .string({ error: '模型编码不能为空' })
    .trim()
    .min(1, '模型编码不能为空')
    .max(100, '模型编码长度不能超过100个字符'),
  modelName: optionalText(100, 'modelName'),
  provider: z.enum(PROVIDERS, { error: (issue) => (issue.input == null || issue.input === '' ? '模型提供商不能为空' : '不支持的模型提供商') }),
  modelSort: z.number({ error: '显示顺序不能为空' }).int('modelSort: 必须是整数').min(0, 'modelSort: 不能小于0').max(1_000_000, 'modelSort: 不能大于1000000'),
  apiKey: z.string({ error: 'apiKey: 必须是字符串' }).max(1024, 'apiKey: 长度不能超过1024个字符').nullish(),
  baseUrl: z
    .string({ error: 'Base URL不能为空' })
    .trim()
    .min(1, 'Base URL不能为空')
    .max(255, 'Base URL长度不能超过255个字符'),
  maxTokens: z.number({ error: 'maxTokens: 必须是整数' }).int('maxTokens: 必须是整数').min(1, 'maxTokens: 必须大于0').max(10_000_000, 'maxTokens: 过大').nullish(),
  temperature: z.number({ error: 'temperature: 必须是数字' }).min(0, 'temperature: 取值范围0-2').max(2, 'temperature: 取值范围0-2').nullish(),
  supportReasoning: flag(['Y', 'N'], 'supportReasoning').default('N'),
  supportImages: flag(['Y', 'N'], 'supportImages').default('N'),
  modelType: optionalText(50, 'modelType'),
  status: flag(['0', '1'], 'status').default('0'),
  remark: optionalText(500, 'remark'),
});

export const modelUpdateSchema = modelInputSchema.extend({
  modelId: z.number({ error: 'modelId: 必须是正整数' }).int('modelId: 必须是正整数').positive('modelId: 必须是正整数'),
});

export type ModelInput = z.output<typeof modelInputSchema>;
export type ModelUpdate = z.output<typeof modelUpdateSchema>;

/** The stored model: the input plus ownership, audit fields and the encrypted key. */
export interface StoredModel extends Omit<ModelInput, 'apiKey'> {
  modelId: number;
  apiKeyCipher?: string;
  userId: string;
  deptId?: string;
  createBy?: string;
  createTime: string;
  updateBy?: string;
  updateTime?: string;
}

/** The model as every response shows it: the key masked, never the ciphertext. */
export const toPublicModel = (model: StoredModel) => {
  const { apiKeyCipher, userId, deptId, ...rest } = model;
  return {
    ...rest,
    apiKey: apiKeyCipher ? API_KEY_MASK : null,
    userId: publicUserId(userId),
    deptId: deptId ? publicUserId(deptId) : null,
  };
};

export type PublicModel = ReturnType<typeof toPublicModel>;

export const modelListQuerySchema = z.object({
  pageNum: z.coerce.number({ error: 'pageNum: 必须是正整数' }).int('pageNum: 必须是正整数').min(1, 'pageNum: 必须是正整数').max(100_000, 'pageNum: 过大').default(1),
  pageSize: z.coerce.number({ error: 'pageSize: 必须是正整数' }).int('pageSize: 必须是正整数').min(1, 'pageSize: 必须是正整数').max(500, 'pageSize: 不能超过500').default(10),
  modelName: z.string().max(100, 'modelName: 过长').optional(),
  modelCode: z.string().max(100, 'modelCode: 过长').optional(),
  provider: z.string().max(50, 'provider: 过长').optional(),
  status: z.string().max(1, 'status: 只能是 0/1').optional(),
});

export type ModelListQuery = z.output<typeof modelListQuerySchema>;
