import * as z from 'zod/mini';

/**
 * Wire shapes written once: the schemas the OpenAPI document and its test check real
 * answers against (lambdas/core/wire/responses.ts), and the types the service and the web page
 * (web/src/types.ts, type imports only) use. No Node types here: the page is
 * type-checked against this file too.
 */

/** `2026-11-24T20:00:00`: local time of the configured zone, no offset. */
export const wireTimeSchema = z.string().check(z.regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/), z.describe('local time of TIME_ZONE, ISO-8601 without offset'));

/** A reply's token usage, as every provider's is normalised to. */
export const tokenUsageSchema = z.strictObject({
  inputTokens: z.number(),
  outputTokens: z.number(),
  totalTokens: z.number(),
  reasoningTokens: z.number(),
  cacheReadTokens: z.number(),
});
export type TokenUsage = z.output<typeof tokenUsageSchema>;

/** The contract's metrics keys: the reply's token usage, and its times in seconds. */
export const runMetricsSchema = z.extend(tokenUsageSchema, {
  duration: z.number().check(z.describe('seconds')),
  timeToFirstToken: z.number().check(z.describe('seconds')),
});
export type RunMetrics = z.output<typeof runMetricsSchema>;

/** A presigned POST the browser uploads one image with. */
export const uploadTicketSchema = z.strictObject({
  uploadUrl: z.string(),
  fields: z.record(z.string(), z.string()),
  key: z.string(),
  expiresAt: wireTimeSchema,
});
export type UploadTicket = z.output<typeof uploadTicketSchema>;
