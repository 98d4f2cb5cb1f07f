import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import * as z from 'zod';
import { RUOYI_PREFIX_PATTERN } from '../lambdas/core/images/image-refs.ts';
import { allowlistRefusal, plainHost } from '../lambdas/core/llm/base-url-guard.ts';
import { DEFAULT_TIME_ZONE, isTimeZone } from '../lambdas/core/time.ts';

/** The stage whose data is protected: deletion protection on, everything RETAINed. */
export const PRODUCTION_STAGE = 'prod';

/** CLI context (`-c key=value`) arrives as strings, cdk.json context as JSON: accept both. */
const stringList = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value : value.split(',')).map((s) => s.trim()).filter(Boolean));

const origin = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}, 'must be an exact origin such as https://admin.example.com (scheme and host, no path, no wildcard)');

/** AWS services the functions call that an interface endpoint can keep off the NAT. */
export const INTERFACE_ENDPOINTS = ['kms', 'secretsmanager', 'lambda'] as const;

const refuseAllowlistHost = (host: string, issues: z.RefinementCtx) => {
  const refusal = allowlistRefusal(host);
  if (refusal) issues.addIssue({ code: 'custom', message: `${host}: ${refusal}` });
};

const positiveInt = z.coerce.number().int().positive();

/** `true`/`false` from the CLI (text) or cdk.json (JSON). */
const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

/** An EC2 resource id (`vpc-…`, `subnet-…`): short ids of 8 hex digits, long ones of 17. */
const ec2Id = (prefix: string) => z.string().regex(new RegExp(`^${prefix}-([0-9a-f]{8}|[0-9a-f]{17})$`), `must be ids such as ${prefix}-0123456789abcdef0`);

const ec2Ids = (prefix: string, max: number) => stringList.pipe(z.array(ec2Id(prefix)).min(1, 'name at least one id').max(max, `at most ${max} ids`));

const retentionDays = z.coerce.number().refine((days) => Object.values(RetentionDays).includes(days), 'must be a CloudWatch Logs retention period');

/**
 * Function settings a deployment may tune, by context key → environment variable.
 * Unset keys are left out of the environment, so lambdas/core/settings.ts keeps the
 * one set of defaults.
 */
const TUNABLE_SETTINGS = {
  cancelPollMs: 'CANCEL_POLL_MS',
  storagePatienceMs: 'STORAGE_PATIENCE_MS',
  cancelSettleMs: 'CANCEL_SETTLE_MS',
  maxMessageLength: 'MAX_MESSAGE_LENGTH',
  runStatusTtlSeconds: 'RUN_STATUS_TTL_SECONDS',
  upstreamIdleTimeoutMs: 'UPSTREAM_IDLE_TIMEOUT_MS',
  maxReplyChars: 'MAX_REPLY_CHARS',
  maxReplyBytes: 'MAX_REPLY_BYTES',
  keyCacheTtlMs: 'KEY_CACHE_TTL_MS',
  rateLimitSendsPerMinute: 'RATE_LIMIT_SENDS_PER_MINUTE',
  rateLimitCancelsPerMinute: 'RATE_LIMIT_CANCELS_PER_MINUTE',
  ruoyiIdentityCacheMs: 'RUOYI_IDENTITY_CACHE_MS',
  ruoyiIdentityTimeoutMs: 'RUOYI_IDENTITY_TIMEOUT_MS',
  quotaReserveTokens: 'QUOTA_RESERVE_TOKENS',
  quotaCacheMs: 'QUOTA_CACHE_MS',
  usageOnStopMs: 'USAGE_ON_STOP_MS',
} as const;

/** Tunables only the api function reads (upload bounds, how long audit records are kept): the stream function never sees them. */
const API_TUNABLE_SETTINGS = {
  uploadTicketsPerMinute: 'UPLOAD_TICKETS_PER_MINUTE',
  uploadMbPerDay: 'UPLOAD_MB_PER_DAY',
  auditRetentionDays: 'AUDIT_RETENTION_DAYS',
} as const;

type TunableKey = keyof typeof TUNABLE_SETTINGS | keyof typeof API_TUNABLE_SETTINGS;

/** Tunables that only mean something in RuoYi mode. */
const RUOYI_TUNABLES = ['ruoyiIdentityCacheMs', 'ruoyiIdentityTimeoutMs'] as const;

const tunableShape = Object.fromEntries(
  [...Object.keys(TUNABLE_SETTINGS), ...Object.keys(API_TUNABLE_SETTINGS)].map((key) => [key, positiveInt.optional()]),
) as Record<TunableKey, z.ZodOptional<typeof positiveInt>>;

/** Environment entries for the tunables of `settings` the deployment set. */
const tunableEnvironment = (ctx: Partial<Record<TunableKey, number>>, settings: Partial<Record<TunableKey, string>>) =>
  Object.fromEntries(
    (Object.entries(settings) as [TunableKey, string][]).filter(([key]) => ctx[key] !== undefined).map(([key, envVar]) => [envVar, String(ctx[key])]),
  );

const contextShape = z.object({
  stage: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,19}$/, 'lower-case letters, digits and dashes, starting with a letter')
    .default('dev'),
  allowedOrigins: stringList.pipe(z.array(origin).min(1, 'name at least one origin')),
  jwtSecretArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/, 'must be a complete secret ARN (with its 6-character suffix)')
    .optional(),
  jwksUrl: z.url({ protocol: /^https$/, error: 'must be an https URL' }).optional(),
  /** RuoYi's API base as the functions reach it; the callers' tokens travel to it, so https only. */
  ruoyiApiUrl: z
    .url({ protocol: /^https$/, error: 'must be an https URL such as https://ruoyi.example.com/prod-api' })
    .refine((url) => !/[?#]/.test(url), 'must be a base URL without query or fragment')
    .transform((url) => url.replace(/\/+$/, ''))
    .optional(),
  jwtIssuer: z.string().min(1).optional(),
  jwtAudience: z.string().min(1).optional(),
  alarmEmail: z.email().optional(),
  logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  logSampleRate: z.coerce.number().min(0).max(1).default(0),
  logRetentionDays: retentionDays.default(RetentionDays.ONE_MONTH),
  streamTimeoutSeconds: z.coerce.number().int().min(60).max(900).default(600),
  streamReservedConcurrency: positiveInt.optional(),
  /** Stream instances kept initialized, on an alias the function URL serves (lib/chat-stream.ts). */
  streamProvisionedConcurrency: positiveInt.optional(),
  /** The stream function's memory, and with it its CPU share (lib/chat-stream.ts explains the default). */
  streamMemoryMb: z.coerce.number().int().min(128).max(10240).optional(),
  apiThrottleRateLimit: positiveInt.default(50),
  apiThrottleBurstLimit: positiveInt.default(100),
  imageExpirationDays: positiveInt.default(365),
  cloudFront: flag.default(false),
  /** An existing VPC the functions run in (lib/private-network.ts); ids only, so the synth looks nothing up. */
  vpcId: ec2Id('vpc').optional(),
  /** Lambda takes up to 16 subnets and 5 security groups. */
  vpcSubnetIds: ec2Ids('subnet', 16).optional(),
  vpcSecurityGroupIds: ec2Ids('sg', 5).optional(),
  /** Route tables of those subnets, where the DynamoDB and S3 gateway endpoints go. */
  vpcRouteTableIds: ec2Ids('rtb', 16).optional(),
  /** False when the VPC has DynamoDB and S3 gateway endpoints on those route tables already. */
  vpcGatewayEndpoints: flag.default(true),
  vpcInterfaceEndpoints: stringList.pipe(z.array(z.enum(INTERFACE_ENDPOINTS))).default([]),
  /** Model hosts the base-URL guard lets through by name: private hosts a VPC deployment reaches. */
  modelHostAllowlist: stringList.pipe(z.array(z.string().superRefine(refuseAllowlistHost).transform(plainHost))).optional(),
  /** The zone every time on the wire is local to (RuoYi's server zone). */
  timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai').default(DEFAULT_TIME_ZONE),
  /** A monthly cost alarm: it fires once this month's cost of every run, in `costAlarmCurrency`, reaches the amount. */
  costAlarmAmount: z.coerce.number().positive().max(1_000_000_000).optional(),
  costAlarmCurrency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be a currency code such as CNY or USD, as the models’ prices name it')
    .default('CNY'),
  ruoyiUploadPrefix: z.string().regex(RUOYI_PREFIX_PATTERN, 'must be a path such as /profile').optional(),
  ruoyiFilesPrefix: z.string().regex(RUOYI_PREFIX_PATTERN, 'must be a path such as /common/files').optional(),
  ...tunableShape,
});

const CONTEXT_KEYS = Object.keys(contextShape.shape);

const contextSchema = contextShape
  .superRefine((ctx, issues) => {
    if (ctx.jwksUrl && ctx.jwtSecretArn) {
      issues.addIssue({ code: 'custom', path: ['jwksUrl'], message: 'choose JWKS or an HS256 secret, not both' });
    }
    if (ctx.ruoyiApiUrl && ctx.jwksUrl) {
      issues.addIssue({ code: 'custom', path: ['ruoyiApiUrl'], message: "RuoYi's tokens are HS256: use jwtSecretArn, not JWKS" });
    }
    for (const key of RUOYI_TUNABLES) {
      if (ctx[key] !== undefined && !ctx.ruoyiApiUrl) issues.addIssue({ code: 'custom', path: [key], message: 'needs ruoyiApiUrl' });
    }
    if (ctx.streamProvisionedConcurrency && ctx.streamReservedConcurrency && ctx.streamProvisionedConcurrency > ctx.streamReservedConcurrency) {
      issues.addIssue({ code: 'custom', path: ['streamProvisionedConcurrency'], message: 'cannot exceed streamReservedConcurrency' });
    }
    const vpcParts = ['vpcSubnetIds', 'vpcSecurityGroupIds', 'vpcRouteTableIds'] as const;
    if (!ctx.vpcId) {
      for (const key of vpcParts) if (ctx[key]) issues.addIssue({ code: 'custom', path: [key], message: 'needs vpcId' });
      if (ctx.vpcInterfaceEndpoints.length) issues.addIssue({ code: 'custom', path: ['vpcInterfaceEndpoints'], message: 'needs vpcId' });
    } else {
      for (const key of ['vpcSubnetIds', 'vpcSecurityGroupIds'] as const) {
        if (!ctx[key]) issues.addIssue({ code: 'custom', path: [key], message: 'a VPC needs the subnets and security groups of the functions' });
      }
      if (ctx.vpcGatewayEndpoints && !ctx.vpcRouteTableIds) {
        issues.addIssue({
          code: 'custom',
          path: ['vpcRouteTableIds'],
          message:
            'name the route tables of the subnets (the DynamoDB and S3 gateway endpoints go there), or set vpcGatewayEndpoints=false if the VPC has them',
        });
      }
    }
    const jwksParts = [ctx.jwksUrl, ctx.jwtIssuer, ctx.jwtAudience].filter(Boolean).length;
    if (jwksParts > 0 && jwksParts < 3) {
      issues.addIssue({ code: 'custom', path: ['jwksUrl'], message: 'JWKS needs jwksUrl, jwtIssuer and jwtAudience together' });
    }
  })
  .transform((ctx) => ({
    stage: ctx.stage,
    production: ctx.stage === PRODUCTION_STAGE,
    allowedOrigins: ctx.allowedOrigins,
    /**
     * JWKS, or HS256 with a secret imported by ARN (created by the stack when absent);
     * with `ruoyiApiUrl`, RuoYi's tokens and its /getInfo.
     */
    auth: ctx.jwksUrl
      ? { mode: 'jwks' as const, jwksUrl: ctx.jwksUrl, issuer: ctx.jwtIssuer!, audience: ctx.jwtAudience! }
      : { mode: 'hs256' as const, secretArn: ctx.jwtSecretArn, ruoyiApiUrl: ctx.ruoyiApiUrl },
    alarmEmail: ctx.alarmEmail,
    /** The monthly cost alarm's threshold, in units of its currency; absent: no alarm. */
    costAlarm: ctx.costAlarmAmount === undefined ? undefined : { amount: ctx.costAlarmAmount, currency: ctx.costAlarmCurrency },
    logLevel: ctx.logLevel,
    logSampleRate: ctx.logSampleRate,
    logRetention: ctx.logRetentionDays as RetentionDays,
    streamTimeoutSeconds: ctx.streamTimeoutSeconds,
    streamReservedConcurrency: ctx.streamReservedConcurrency,
    streamProvisionedConcurrency: ctx.streamProvisionedConcurrency,
    streamMemoryMb: ctx.streamMemoryMb,
    apiThrottle: { rateLimit: ctx.apiThrottleRateLimit, burstLimit: ctx.apiThrottleBurstLimit },
    imageExpirationDays: ctx.imageExpirationDays,
    /** A CloudFront distribution giving `/ai/*` one address (lib/ai-distribution.ts). */
    cloudFront: ctx.cloudFront,
    /** The functions' place in an existing VPC, and the endpoints the stack adds to it (lib/private-network.ts). */
    network: ctx.vpcId
      ? {
          vpcId: ctx.vpcId,
          subnetIds: ctx.vpcSubnetIds!,
          securityGroupIds: ctx.vpcSecurityGroupIds!,
          gatewayEndpointRouteTableIds: ctx.vpcGatewayEndpoints ? ctx.vpcRouteTableIds! : [],
          interfaceEndpoints: [...new Set(ctx.vpcInterfaceEndpoints)],
        }
      : undefined,
    /** What both functions show and accept the same way: the wire zone, the model hosts allowed by name, RuoYi's upload prefixes if moved. */
    wireEnvironment: {
      TIME_ZONE: ctx.timeZone,
      ...(ctx.modelHostAllowlist?.length ? { MODEL_HOST_ALLOWLIST: ctx.modelHostAllowlist.join(',') } : {}),
      ...(ctx.ruoyiUploadPrefix ? { RUOYI_UPLOAD_PREFIX: ctx.ruoyiUploadPrefix } : {}),
      ...(ctx.ruoyiFilesPrefix ? { RUOYI_FILES_PREFIX: ctx.ruoyiFilesPrefix } : {}),
    },
    /** Environment entries for the tunables the deployment set: for both functions, and for the api only. */
    tunables: tunableEnvironment(ctx, TUNABLE_SETTINGS),
    apiTunables: tunableEnvironment(ctx, API_TUNABLE_SETTINGS),
  }));

export type StackConfig = z.output<typeof contextSchema>;
export type AuthConfig = StackConfig['auth'];
export type NetworkConfig = NonNullable<StackConfig['network']>;

/** Reads and checks the deployment's context once, so a bad value fails the synth with its key named. */
export const readStackConfig = (node: Node): StackConfig => {
  const raw = Object.fromEntries(CONTEXT_KEYS.map((key) => [key, node.tryGetContext(key)]).filter(([, v]) => v !== undefined));
  const parsed = contextSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`context ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
};

export const stackId = (stage: string) => `AiChat-${stage}`;
