import * as z from 'zod/mini';
import { runMetricsSchema, wireTimeSchema as wireTime } from './types.ts';
import { PROVIDERS } from '../models/providers.ts';
import { usageSourceSchema } from '../llm/usage.ts';
import { UPSTREAM_MSG } from './messages.ts';

/**
 * What the service answers, as schemas for the OpenAPI document: the envelope, each
 * route's `data`, and the stream's lines. Objects are strict, so the test that checks
 * real answers against them (test/integration/openapi/) fails on a field added or dropped on either side.
 * The web page takes its types of these answers from here (web/src/types.ts, type imports
 * only), so no Node types here either.
 */

/** RuoYi's numeric user ids as numbers, other issuers' ids as text. */
const userId = z.union([z.number().check(z.int()), z.string()]);
const flag01 = z.enum(['0', '1']);
const flagYN = z.enum(['Y', 'N']);

export const envelopeSchema = z.strictObject({
  code: z.number().check(z.int(), z.describe('200 on success; 401, 403, 429, 500 or 601 on failure (HTTP status stays 200)')),
  msg: z.string(),
  success: z.boolean(),
  time: wireTime,
  data: z.optional(z.unknown()),
});

export const pageEnvelopeSchema = (row: z.ZodMiniType) =>
  z.strictObject({
    code: z.literal(200),
    msg: z.string(),
    rows: z.array(row),
    pageNum: z.number().check(z.int()),
    pageSize: z.number().check(z.int()),
    total: z.number().check(z.int()),
    hasNext: z.boolean(),
    success: z.literal(true),
    time: wireTime,
  });

export const chatConfigSchema = z.strictObject({
  chatConfigId: z.nullable(z.number().check(z.int())),
  userId,
  temperature: z.nullable(z.number()),
  addHistoryToContext: flag01,
  numHistoryRuns: z.number().check(z.int()),
  systemPrompt: z.string(),
  metricsDefaultVisible: flag01,
  visionEnabled: flag01,
  imageMaxSizeMb: z.number().check(z.int()),
  createTime: z.nullable(wireTime),
  updateTime: z.nullable(wireTime),
});

export const sessionListItemSchema = z.strictObject({
  sessionId: z.uuid(),
  sessionTitle: z.string(),
  sessionType: z.string(),
  userId,
  createdAt: wireTime,
  updatedAt: wireTime,
});

const messageSchema = z.strictObject({
  id: z.string(),
  role: z.enum(['user', 'assistant']),
  content: z.string(),
  images: z.array(z.string()).check(z.describe('presigned URLs of stored images; RuoYi upload paths as sent')),
  metrics: z.nullable(runMetricsSchema),
  createdAt: wireTime,
  fromHistory: z.boolean(),
  reasoningContent: z.nullable(z.string()),
  stopAfterToolCall: z.boolean(),
});

export const sessionDetailSchema = z.extend(sessionListItemSchema, {
  agentId: z.string(),
  sessionData: z.strictObject({
    sessionState: z.record(z.string(), z.unknown()),
    sessionMetrics: z.partial(runMetricsSchema),
  }),
  agentData: z.strictObject({
    agentId: z.string(),
    model: z.nullable(
      z.strictObject({
        id: z.string().check(z.describe("the model's code")),
        modelId: z.number().check(z.int()),
        name: z.string(),
        provider: z.string(),
        temperature: z.nullable(z.number()),
      }),
    ),
  }),
  messages: z.array(messageSchema),
});

const currencyCode = z.string().check(z.regex(/^[A-Z]{3}$/), z.describe('ISO 4217 code'));

/** A model's price from a time on: per million tokens, in units of `currency`, at most 6 decimals. */
export const modelPriceSchema = z.strictObject({
  currency: currencyCode,
  inputPerMillion: z.number(),
  outputPerMillion: z.number(),
  cachedPerMillion: z.nullable(z.number().check(z.describe('cached input; null: charged as input'))),
  effectiveFrom: wireTime,
});

export const modelSchema = z.strictObject({
  modelId: z.number().check(z.int()),
  modelCode: z.string(),
  modelName: z.nullish(z.string()),
  provider: z.enum(PROVIDERS),
  modelSort: z.number().check(z.int()),
  apiKey: z.nullable(z.string().check(z.describe('24 asterisks when a key is stored'))),
  baseUrl: z.string(),
  maxTokens: z.nullish(z.number().check(z.int())),
  temperature: z.nullish(z.number()),
  supportReasoning: flagYN,
  supportImages: flagYN,
  modelType: z.nullish(z.string()),
  status: flag01,
  userId,
  deptId: z.nullable(userId),
  createBy: z.optional(z.string()),
  createTime: wireTime,
  updateBy: z.optional(z.string()),
  updateTime: z.optional(wireTime),
  remark: z.nullish(z.string()),
  prices: z.array(modelPriceSchema).check(z.describe('price schedule, oldest first; a run is charged the one in effect when it started')),
  streamUsage: flagYN.check(z.describe("'N' for providers that refuse stream_options.include_usage")),
  usageOnStop: flagYN.check(z.describe("'Y': a stopped reply keeps reading the provider briefly for its usage")),
});

/** `2026-11-24`: a day of TIME_ZONE. */
const wireDay = z.string().check(z.regex(/^\d{4}-\d\d-\d\d$/), z.describe('a day of TIME_ZONE'));
const count = z.number().check(z.int(), z.nonnegative());

/** Money as integers: millionths of each currency's unit (1.5 CNY is `{"CNY": 1500000}`), summed exactly. */
export const costMicrosSchema = z.record(currencyCode, z.number().check(z.int())).check(z.describe('cost in millionths of the currency, by currency'));

/** What a run, or a sum of runs, used. `totalTokens` is input + output (reasoning is inside output, cached inside input). */
export const usageFiguresSchema = z.strictObject({
  runs: count,
  completedRuns: count,
  cancelledRuns: count,
  failedRuns: count,
  estimatedRuns: count.check(z.describe('runs whose tokens were estimated (no usage from the provider)')),
  inputTokens: count,
  outputTokens: count,
  reasoningTokens: count,
  cachedTokens: count,
  totalTokens: count,
  costMicros: costMicrosSchema,
});

export const USAGE_GROUPS = ['user', 'dept', 'model', 'day'] as const;

/** One row of a summary: a user, a department (with everything below it), a model or a day. */
export const usageRowSchema = z.extend(usageFiguresSchema, {
  key: z.string().check(z.describe('userId, deptId, modelId or the day')),
  name: z.nullable(z.string().check(z.describe('user name, department name or model name, as last seen'))),
});

export const usageSummarySchema = z.strictObject({
  groupBy: z.enum(USAGE_GROUPS),
  beginTime: wireDay,
  endTime: wireDay,
  rows: z.array(usageRowSchema),
  total: usageFiguresSchema,
});

export const USAGE_OUTCOMES = ['completed', 'cancelled', 'failed'] as const;
export const USAGE_SOURCES = ['provider', 'estimated'] as const;
/**
 * How estimated numbers were made: `streamed-text` from the prompt's and the streamed
 * reply's text; `zero-output` the provider's input with the output estimated, as it counted
 * none for a reply that streamed text; `no-reply` nothing streamed and the run failed, so
 * nothing is counted.
 */
export const USAGE_ESTIMATES = ['streamed-text', 'zero-output', 'no-reply'] as const;

/** One run in the ledger: who, which model, how it ended, what it used and what it cost at the prices it was charged. */
export const ledgerRowSchema = z.strictObject({
  runId: z.uuid(),
  sessionId: z.uuid(),
  userId,
  userName: z.nullable(z.string()),
  deptId: z.nullable(userId),
  deptAncestors: z.array(z.string()).check(z.describe("the department's ancestors at run time, root first")),
  modelId: z.number().check(z.int()),
  modelCode: z.string(),
  modelName: z.string(),
  provider: z.string(),
  outcome: z.enum(USAGE_OUTCOMES),
  source: z.enum(USAGE_SOURCES),
  estimate: z.nullable(z.enum(USAGE_ESTIMATES)),
  provenance: z.nullable(usageSourceSchema.check(z.describe("where in the provider's stream its numbers were read, and how they were decided"))),
  inputTokens: count,
  outputTokens: count,
  reasoningTokens: count,
  cachedTokens: count,
  totalTokens: count,
  price: z.nullable(modelPriceSchema),
  currency: z.nullable(currencyCode),
  costMicros: z.number().check(z.int(), z.describe('millionths of `currency`; 0 for an unpriced model')),
  startTime: wireTime,
  endTime: wireTime,
});

export const QUOTA_SUBJECTS = ['user', 'dept', 'role', 'model'] as const;
export const QUOTA_PERIODS = ['day', 'month'] as const;
export const QUOTA_METRICS = ['tokens', 'cost'] as const;
export const QUOTA_ENFORCEMENTS = ['hard', 'soft'] as const;

export const quotaSchema = z.strictObject({
  quotaId: z.number().check(z.int()),
  subjectType: z.enum(QUOTA_SUBJECTS),
  subjectId: z.string().check(z.describe('userId, deptId, roleKey or modelId')),
  period: z.enum(QUOTA_PERIODS),
  metric: z.enum(QUOTA_METRICS),
  currency: z.nullable(currencyCode),
  limit: z.number().check(z.int(), z.describe('tokens, or millionths of `currency`')),
  enforcement: z.enum(QUOTA_ENFORCEMENTS),
  status: flag01,
  remark: z.nullable(z.string()),
  createBy: z.string(),
  createTime: wireTime,
  updateBy: z.nullable(z.string()),
  updateTime: z.nullable(wireTime),
});

/** The caller's use in one period, the figures of their own counter. */
const periodUsageSchema = z.extend(usageFiguresSchema, {
  period: z.string().check(z.describe('2026-11-24 or 2026-11')),
  resetsAt: wireTime,
});

/** A quota that applies to the caller, against what it counts now. */
export const quotaStandingSchema = z.extend(quotaSchema, {
  used: z.number().check(z.int(), z.describe('what the quota counts in its current period: tokens, or millionths of `currency`')),
  remaining: z.number().check(z.int()),
  reached: z.boolean(),
  resetsAt: wireTime,
});

export const myUsageSchema = z.strictObject({
  today: periodUsageSchema,
  month: periodUsageSchema,
  quotas: z.array(quotaStandingSchema),
});

/** A row of `GET /ai/audit/list`: RuoYi's operation-log row, and who, which item and which client. */
export const auditRowSchema = z.strictObject({
  operId: z.number().check(z.int(), z.describe('time-ordered: the operation time in microseconds, made unique')),
  title: z.string().check(z.describe("RuoYi's @Log title: AI模型管理, AI对话配置管理, AI对话会话管理")),
  businessType: z.number().check(z.int(), z.describe("RuoYi's BusinessType (dictionary sys_oper_type): 0 other, 1 insert, 2 update, 3 delete")),
  method: z.string(),
  requestMethod: z.string(),
  operatorType: z.number().check(z.int(), z.describe("RuoYi's operator_type from the User-Agent: 0 other, 1 desktop, 2 mobile")),
  operName: z.string(),
  deptName: z.nullable(z.string()),
  operUrl: z.string(),
  operIp: z.string().check(z.describe('the address that connected to the API; behind a proxy, the proxy')),
  operLocation: z.string(),
  operParam: z.string().check(z.describe('the request as JSON text without the API key or other secrets (请求参数过长 past 2000 characters)')),
  jsonResult: z.string(),
  status: z.number().check(z.int(), z.describe('0 succeeded, 1 refused or failed')),
  errorMsg: z.nullable(z.string()),
  operTime: wireTime,
  costTime: z.number().check(z.int()),
  userId,
  itemId: z.nullable(z.string().check(z.describe('the model ids, session id or user (chat config) the operation named'))),
  userAgent: z.nullable(z.string()),
  forwardedFor: z.nullable(z.string().check(z.describe('X-Forwarded-For as received: what the proxies (or the client) claimed, unverified'))),
});

/** `data` of `POST /ai/model/test`: how one minimal streamed request to the provider went. */
export const modelTestResultSchema = z.strictObject({
  passed: z.boolean().check(z.describe('the provider accepted the request and streamed (the model code, key and base URL work)')),
  errorClass: z.nullable(
    z
      .enum(Object.keys(UPSTREAM_MSG) as [keyof typeof UPSTREAM_MSG, ...(keyof typeof UPSTREAM_MSG)[]])
      .check(z.describe('why it failed: modelNotFound, auth, quota, rateLimited, … (the classes of the chat stream’s error line)')),
  ),
  message: z.string().check(z.describe('what the user reads: success with the time to first token, or the error line with the provider’s own reason')),
  reason: z.nullable(z.string().check(z.describe("the provider's own short reason, sanitised (no key, nothing key-like)"))),
  status: z.nullable(z.number().check(z.int(), z.describe("the provider's HTTP status, where it answered with one"))),
  timeToFirstToken: z.nullable(z.number().check(z.describe('seconds from sending to the first text'))),
  duration: z.number().check(z.describe('seconds the whole test took')),
  modelCode: z.string(),
  provider: z.enum(PROVIDERS),
  baseUrl: z.string(),
  keySource: z.enum(['stored', 'typed', 'none']).check(z.describe('the key the test used: the stored one, the one typed for the test, or none')),
});
