import * as z from 'zod/mini';
import { RUOYI_PREFIX_PATTERN } from './images/image-refs.ts';
import { isTimeZone } from './time.ts';
import { ENGLISH_MESSAGES } from './validation/parse.ts';

const intFrom = (fallback: number) => z._default(z.coerce.number().check(z.int(), z.positive()), fallback);
const list = z.pipe(
  z._default(z.string(), ''),
  z.transform((s: string) =>
    s
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  ),
);
const optionalText = z.optional(z.string());
const optionalUrl = z.optional(z.url());
const tableName = z.string().check(z.minLength(1));
/** An http(s) base URL, kept without trailing slashes so paths can be appended. */
const baseUrl = z.optional(
  z.pipe(
    z.url({ protocol: /^https?$/ }),
    z.transform((url: string) => url.replace(/\/+$/, '')),
  ),
);
/** A URL path prefix such as `/profile`: plain segments, no trailing slash. */
const pathPrefix = (fallback: string) =>
  z._default(z.string().check(z.regex(RUOYI_PREFIX_PATTERN, 'a path such as /profile (plain segments, no trailing slash)')), fallback);

/**
 * Everything the functions read from their environment, validated once at cold
 * start so a misconfigured deployment fails loudly instead of per request.
 */
const settingsSchema = z.object({
  AWS_REGION: z._default(z.string(), 'us-east-1'),
  DYNAMODB_ENDPOINT: optionalUrl,
  MODELS_TABLE: tableName,
  CONFIGS_TABLE: tableName,
  SESSIONS_TABLE: tableName,
  /** The audit trail; the api function's only (the stream does nothing that is audited). */
  AUDIT_TABLE: z.optional(tableName),
  /** How long an audit record is kept (its TTL). */
  AUDIT_RETENTION_DAYS: intFrom(365),
  /** KMS key for model API keys; without it LOCAL_CIPHER_KEY_FILE must name the local key. */
  KMS_KEY_ID: optionalText,
  LOCAL_CIPHER_KEY_FILE: optionalText,
  /** HS256: the secret itself (local), or the ARN of a Secrets Manager secret (AWS). */
  JWT_SECRET: optionalText,
  JWT_SECRET_ARN: optionalText,
  /** RS256/ES256 against a JWKS URL, issuer and audience checked. */
  JWKS_URL: optionalUrl,
  JWT_ISSUER: optionalText,
  JWT_AUDIENCE: optionalText,
  /**
   * RuoYi's API base; when set, identity, permissions and data scope come from its
   * `/getInfo`, and uploads under the prefixes below are read from it with the caller's token.
   */
  RUOYI_API_URL: baseUrl,
  /** How long one `/getInfo` answer serves a token: the longest a logout takes to reach us. */
  RUOYI_IDENTITY_CACHE_MS: intFrom(30_000),
  RUOYI_IDENTITY_TIMEOUT_MS: intFrom(3_000),
  /** Host names let through the base-URL guard (local development only). */
  MODEL_HOST_ALLOWLIST: list,
  CANCEL_POLL_MS: intFrom(250),
  /**
   * How long a write on a user's path waits out DynamoDB's passing faults (throttles,
   * server errors, lost connections) before the path's fallback: a refusal that says
   * storage is unavailable, or for a finished run the durable kept-runs path
   * (chat/budget.ts). Never longer than the invocation's remaining time allows.
   */
  STORAGE_PATIENCE_MS: intFrom(15_000),
  /** How long a stop waits for its run to be stored as stopped before it answers (sessions/request-cancel.ts). */
  CANCEL_SETTLE_MS: intFrom(3_000),
  MAX_MESSAGE_LENGTH: intFrom(20_000),
  RUN_STATUS_TTL_SECONDS: intFrom(24 * 3600),
  UPSTREAM_IDLE_TIMEOUT_MS: intFrom(60_000),
  /** A reply (content and reasoning) is stopped past either bound, far above any real answer. */
  MAX_REPLY_CHARS: intFrom(1_000_000),
  MAX_REPLY_BYTES: intFrom(4 * 1024 * 1024),
  KEY_CACHE_TTL_MS: intFrom(5 * 60_000),
  RATE_LIMIT_SENDS_PER_MINUTE: intFrom(20),
  RATE_LIMIT_CANCELS_PER_MINUTE: intFrom(60),
  /** Upload tickets per user and minute, and the sum of their sizes per user and UTC day (api only). */
  UPLOAD_TICKETS_PER_MINUTE: intFrom(10),
  UPLOAD_MB_PER_DAY: intFrom(200),
  IMAGE_BUCKET: optionalText,
  LOCAL_IMAGE_DIR: optionalText,
  /**
   * The kept-runs queue: a finished run DynamoDB could not take in time is sent here, for
   * the drain to store once DynamoDB answers again (kept-runs/).
   */
  KEPT_RUNS_QUEUE_URL: optionalUrl,
  /** The local queue's endpoint (the local stack, tests); absent in AWS, where the region's is used. */
  SQS_ENDPOINT: optionalUrl,
  /** Where a kept run too large for one message waits (S3), and the local stand-in for that bucket. */
  KEPT_RUNS_BUCKET: optionalText,
  LOCAL_KEPT_RUNS_DIR: optionalText,
  /** Where the local server answers, used for local upload and image URLs. */
  LOCAL_PUBLIC_URL: optionalText,
  /** RuoYi's `UPLOAD_PREFIX`: its public uploads' static mount. */
  RUOYI_UPLOAD_PREFIX: pathPrefix('/profile'),
  /** Where RuoYi serves registered files, `{prefix}/{fileId}/download/{name}`, to whom its rules allow. */
  RUOYI_FILES_PREFIX: pathPrefix('/common/files'),
  RUOYI_IMAGE_TIMEOUT_MS: intFrom(10_000),
  /** A hard quota's reservation for a run of a model without `maxTokens` (docs/usage.md: the bound). */
  QUOTA_RESERVE_TOKENS: intFrom(4_000),
  /** How long an instance serves its copy of the quotas before refreshing it in the background. */
  QUOTA_CACHE_MS: intFrom(10_000),
  /** How long a stopped reply of a `usageOnStop` model keeps reading its provider for the usage. */
  USAGE_ON_STOP_MS: intFrom(3_000),
  /** The stack's monthly cost alarm is on: after each run it stores, the stream reports the month's cost so far (usage/month-cost.ts). */
  REPORT_MONTH_COST: z.pipe(
    z._default(z.enum(['true', 'false']), 'false'),
    z.transform((v: 'true' | 'false') => v === 'true'),
  ),
  /**
   * The stream function the api asks to start an instance when a user opens the chat
   * page (core/warm-ahead.ts); unset (the stack leaves it out when provisioned
   * concurrency keeps instances ready, and locally), nothing is asked.
   */
  STREAM_FUNCTION_NAME: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'a function name'))),
  /** Lambda's API: a local stand-in's URL in tests; absent in AWS, where the region's endpoint is used. */
  LAMBDA_ENDPOINT: optionalUrl,
  /** An api instance asks at most this often, whoever opens the page. */
  WARM_AHEAD_EVERY_MS: intFrom(60_000),
  /** IANA zone of every time on the wire, as RuoYi sends its server's local time. */
  TIME_ZONE: z._default(z.string().check(z.refine(isTimeZone, 'not an IANA time zone')), 'Asia/Shanghai'),
});

export type Settings = z.output<typeof settingsSchema>;

export const readSettings = (env: NodeJS.ProcessEnv = process.env): Settings => {
  const parsed = settingsSchema.safeParse(env, ENGLISH_MESSAGES);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`configuration: ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
};
