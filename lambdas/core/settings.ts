import * as z from 'zod/mini';
import { ENGLISH_MESSAGES } from './validation/parse.ts';

const intFrom = (fallback: number) => z._default(z.coerce.number().check(z.int(), z.positive()), fallback);
const list = z.pipe(
  z._default(z.string(), ''),
  z.transform((s: string) => s.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean)),
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
  /** RuoYi's API base; when set, identity, permissions and data scope come from its `/getInfo`. */
  RUOYI_API_URL: baseUrl,
  /** How long one `/getInfo` answer serves a token: the longest a logout takes to reach us. */
  RUOYI_IDENTITY_CACHE_MS: intFrom(30_000),
  RUOYI_IDENTITY_TIMEOUT_MS: intFrom(3_000),
  /** Host names let through the base-URL guard (local development only). */
  MODEL_HOST_ALLOWLIST: list,
  CANCEL_POLL_MS: intFrom(250),
  MAX_MESSAGE_LENGTH: intFrom(20_000),
  RUN_STATUS_TTL_SECONDS: intFrom(24 * 3600),
  UPSTREAM_IDLE_TIMEOUT_MS: intFrom(60_000),
  KEY_CACHE_TTL_MS: intFrom(5 * 60_000),
  RATE_LIMIT_SENDS_PER_MINUTE: intFrom(20),
  RATE_LIMIT_CANCELS_PER_MINUTE: intFrom(60),
  /** Upload tickets per user and minute, and the sum of their sizes per user and UTC day (api only). */
  UPLOAD_TICKETS_PER_MINUTE: intFrom(10),
  UPLOAD_MB_PER_DAY: intFrom(200),
  IMAGE_BUCKET: optionalText,
  LOCAL_IMAGE_DIR: optionalText,
  /** Where the local server answers, used for local upload and image URLs. */
  LOCAL_PUBLIC_URL: optionalText,
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
