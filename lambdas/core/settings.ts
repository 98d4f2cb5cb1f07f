import * as z from 'zod';

const intFrom = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const list = z
  .string()
  .default('')
  .transform((s) => s.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean));

/**
 * Everything the functions read from their environment, validated once at cold
 * start so a misconfigured deployment fails loudly instead of per request.
 */
const settingsSchema = z.object({
  AWS_REGION: z.string().default('us-east-1'),
  DYNAMODB_ENDPOINT: z.string().url().optional(),
  MODELS_TABLE: z.string().min(1),
  CONFIGS_TABLE: z.string().min(1),
  SESSIONS_TABLE: z.string().min(1),
  /** KMS key for model API keys; without it LOCAL_CIPHER_KEY_FILE must name the local key. */
  KMS_KEY_ID: z.string().optional(),
  LOCAL_CIPHER_KEY_FILE: z.string().optional(),
  /** HS256: the secret itself (local), or the ARN of a Secrets Manager secret (AWS). */
  JWT_SECRET: z.string().optional(),
  JWT_SECRET_ARN: z.string().optional(),
  /** RS256/ES256 against a JWKS URL, issuer and audience checked. */
  JWKS_URL: z.string().url().optional(),
  JWT_ISSUER: z.string().optional(),
  JWT_AUDIENCE: z.string().optional(),
  /** Host names let through the base-URL guard (local development only). */
  MODEL_HOST_ALLOWLIST: list,
  CANCEL_POLL_MS: intFrom(250),
  MAX_MESSAGE_LENGTH: intFrom(20_000),
  RUN_STATUS_TTL_SECONDS: intFrom(24 * 3600),
  UPSTREAM_IDLE_TIMEOUT_MS: intFrom(60_000),
  KEY_CACHE_TTL_MS: intFrom(5 * 60_000),
  RATE_LIMIT_SENDS_PER_MINUTE: intFrom(20),
  RATE_LIMIT_CANCELS_PER_MINUTE: intFrom(60),
  IMAGE_BUCKET: z.string().optional(),
  LOCAL_IMAGE_DIR: z.string().optional(),
  /** Where the local server answers, used for local upload and image URLs. */
  LOCAL_PUBLIC_URL: z.string().optional(),
});

export type Settings = z.output<typeof settingsSchema>;

export const readSettings = (env: NodeJS.ProcessEnv = process.env): Settings => {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`configuration: ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
};
