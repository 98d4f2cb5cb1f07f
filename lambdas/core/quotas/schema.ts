import * as z from 'zod/mini';
import { utcNow, wireTimeOfUtc } from '../time.ts';
import { choice } from '../validation/fields.ts';
import { pageQueryShape, queryText } from '../validation/page-query.ts';
import { QUOTA_ENFORCEMENTS, QUOTA_METRICS, QUOTA_PERIODS, QUOTA_SUBJECTS, type quotaSchema } from '../wire/responses.ts';

/**
 * A quota caps what a subject uses in a period (a day or a month of TIME_ZONE), in tokens
 * (input + output) or in money of one currency:
 * - `user`: that user; `role`: each user holding the role (RuoYi's role key), on their own;
 * - `dept`: the department with everything below it, together; `model`: the model, all users together.
 * `hard` refuses sends once reached; `soft` warns in the stream once per user and period.
 */
export type Quota = {
  quotaId: number;
  subjectType: (typeof QUOTA_SUBJECTS)[number];
  subjectId: string;
  period: (typeof QUOTA_PERIODS)[number];
  metric: (typeof QUOTA_METRICS)[number];
  currency?: string;
  /** Tokens, or millionths of `currency`. */
  limit: number;
  enforcement: (typeof QUOTA_ENFORCEMENTS)[number];
  status: '0' | '1';
  remark?: string | null;
  createBy: string;
  /** UTC text, as models and configs keep their times. */
  createTime: string;
  updateBy?: string;
  updateTime?: string;
};

export type PublicQuota = z.output<typeof quotaSchema>;

/** Far above any sensible cap; keeps every sum of limits and uses a safe integer. */
const MAX_LIMIT = 1_000_000_000_000_000;

const LIMIT_ERROR = 'limit: 必须是正整数（Token 数，或币种的百万分之一）';

/** A quota as the editor sends it; `currency` only with `metric` `cost`. */
export const quotaInputSchema = z.object({
  subjectType: choice(QUOTA_SUBJECTS, 'subjectType'),
  subjectId: z
    .string({ error: 'subjectId: 不能为空' })
    .check(z.trim(), z.minLength(1, 'subjectId: 不能为空'), z.maxLength(128, 'subjectId: 长度不能超过128个字符')),
  period: choice(QUOTA_PERIODS, 'period'),
  metric: choice(QUOTA_METRICS, 'metric'),
  currency: z.nullish(z.string().check(z.regex(/^[A-Z]{3}$/, 'currency: 必须是3位大写货币代码（如 CNY、USD）'))),
  limit: z.number({ error: LIMIT_ERROR }).check(z.int(LIMIT_ERROR), z.positive(LIMIT_ERROR), z.maximum(MAX_LIMIT, 'limit: 过大')),
  enforcement: z._default(choice(QUOTA_ENFORCEMENTS, 'enforcement'), 'hard'),
  status: z._default(choice(['0', '1'], 'status'), '0'),
  remark: z.nullish(z.string().check(z.maxLength(500, 'remark: 长度不能超过500个字符'))),
});

const QUOTA_ID_ERROR = 'quotaId: 必须是正整数';
export const quotaUpdateSchema = z.extend(quotaInputSchema, {
  quotaId: z.number({ error: QUOTA_ID_ERROR }).check(z.int(QUOTA_ID_ERROR), z.positive(QUOTA_ID_ERROR)),
});

export type QuotaInput = z.output<typeof quotaInputSchema>;
export type QuotaUpdate = z.output<typeof quotaUpdateSchema>;

export const quotaListQuerySchema = z.object({
  ...pageQueryShape,
  subjectType: z.optional(choice(QUOTA_SUBJECTS, 'subjectType')),
  subjectId: queryText(128, 'subjectId: 过长'),
  status: z.optional(choice(['0', '1'], 'status')),
});

export type QuotaListQuery = z.output<typeof quotaListQuerySchema>;

/** What a subject's id must look like: RuoYi's numeric ids for departments and models, any text for users and roles. */
const SUBJECT_ID: Record<Quota['subjectType'], { pattern: RegExp; error: string }> = {
  user: { pattern: /^\S+$/, error: 'subjectId: 用户ID不能含空白' },
  dept: { pattern: /^\d{1,19}$/, error: 'subjectId: 部门ID必须是数字' },
  role: { pattern: /^\S+$/, error: 'subjectId: 角色权限字符不能含空白' },
  model: { pattern: /^[1-9]\d{0,15}$/, error: 'subjectId: 模型ID必须是正整数' },
};

/** The checks across fields, as a message (601), or undefined when the input holds together. */
export const quotaInputProblem = (input: QuotaInput): string | undefined => {
  const subject = SUBJECT_ID[input.subjectType];
  if (!subject.pattern.test(input.subjectId)) return subject.error;
  if (input.metric === 'cost' && !input.currency) return 'currency: 按费用限额时必须填写币种';
  if (input.metric === 'tokens' && input.currency) return 'currency: 按Token限额时不填币种';
  return undefined;
};

/** The stored quota a valid input makes, by `who` at `now` (or over `current`, keeping its audit fields). */
export const storedQuota = (quotaId: number, input: QuotaInput, who: string, current?: Quota): Quota => ({
  quotaId,
  subjectType: input.subjectType,
  subjectId: input.subjectId,
  period: input.period,
  metric: input.metric,
  ...(input.currency ? { currency: input.currency } : {}),
  limit: input.limit,
  enforcement: input.enforcement,
  status: input.status,
  remark: input.remark ?? null,
  createBy: current?.createBy ?? who,
  createTime: current?.createTime ?? utcNow(),
  ...(current ? { updateBy: who, updateTime: utcNow() } : {}),
});

export const toPublicQuota = (quota: Quota): PublicQuota => ({
  quotaId: quota.quotaId,
  subjectType: quota.subjectType,
  subjectId: quota.subjectId,
  period: quota.period,
  metric: quota.metric,
  currency: quota.currency ?? null,
  limit: quota.limit,
  enforcement: quota.enforcement,
  status: quota.status,
  remark: quota.remark ?? null,
  createBy: quota.createBy,
  createTime: wireTimeOfUtc(quota.createTime),
  updateBy: quota.updateBy ?? null,
  updateTime: quota.updateTime ? wireTimeOfUtc(quota.updateTime) : null,
});
