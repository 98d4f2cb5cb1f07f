import * as z from 'zod/mini';
import type { TokenUsage } from '../wire/types.ts';

/**
 * A reply's token usage as the provider billed it, from wherever in the stream the
 * provider put it, with a record of what was read (docs/providers.md has the table).
 *
 * What the figures mean, whatever the provider:
 * - inputTokens: the prompt, cached part included;
 * - outputTokens: everything generated, reasoning included (some providers count
 *   reasoning beside `completion_tokens`, not in it: it is added);
 * - reasoningTokens: the part of outputTokens spent reasoning;
 * - cacheReadTokens: the part of inputTokens read from the provider's prompt cache;
 * - totalTokens: input + output.
 *
 * Usage values in a stream are snapshots (final totals, or running totals on every
 * chunk): the last one counts and they are never added up, nor are two copies of one
 * snapshot in one chunk (Groq's `x_groq.usage`, Kimi's choice-level copy).
 */

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Where the billed counts came from. */
export const usageFieldSchema = z.enum([
  'usage',
  // Moonshot / Kimi: inside the last chunk's first choice.
  'choices[].usage',
  'x_groq.usage',
  // The Responses API's `response.completed` / `response.incomplete`.
  'response.usage',
  // llama.cpp without `include_usage`.
  'timings',
  // Google's own accounting, passed through by a gateway.
  'usageMetadata',
]);
export type UsageField = z.output<typeof usageFieldSchema>;

/**
 * How the counts were decided, for whoever audits them:
 * - reasoning-exceeds-completion: reasoning larger than the completion cannot be part of it;
 * - total-shows-reasoning: the total holds reasoning beyond prompt + completion (named or not);
 * - total-surplus: the total holds tokens beyond prompt + completion and the reasoning reported is not them: billed as output;
 * - total-matches: prompt + completion = total, any reasoning is inside the completion;
 * - no-total: no total to check against, reasoning (not larger than the completion) taken as inside;
 * - total-below: a total smaller than prompt + completion, ignored;
 * - usage-metadata: Google's `usageMetadata` in the same stream disagreed, and it is what Google bills;
 * - timings: llama.cpp's evaluated, cached and predicted token counts.
 */
export const usageRuleSchema = z.enum([
  'reasoning-exceeds-completion',
  'total-shows-reasoning',
  'total-surplus',
  'total-matches',
  'no-total',
  'total-below',
  'usage-metadata',
  'timings',
]);

/** Money a provider or gateway states for the call, beside the tokens (never read as tokens). */
export const usageCostSchema = z.strictObject({
  usd: z.number(),
  field: z.enum(['usage.cost', 'usage.cost.total_cost', 'usage.cost_in_usd_ticks', 'provider_metadata.gateway.cost']),
});

/** What a usage record (issue #25) keeps about where its numbers came from. */
export const usageSourceSchema = z.strictObject({
  field: usageFieldSchema,
  /** Where the provider counted reasoning: inside the completion, beside it, or none reported. */
  reasoning: z.enum(['inside', 'beside', 'none']),
  rule: usageRuleSchema,
  /** The usage record's own numbers, before deciding (absent when there was none). */
  reported: z.optional(
    z.strictObject({
      prompt: z.number(),
      completion: z.number(),
      total: z.optional(z.number()),
      reasoning: z.optional(z.number()),
    }),
  ),
  /** Prompt tokens written to a cache, where a provider prices them apart (part of inputTokens). */
  cacheWriteTokens: z.optional(z.number()),
  cost: z.optional(usageCostSchema),
});
export type UsageSource = z.output<typeof usageSourceSchema>;

export interface BilledUsage {
  tokens: TokenUsage;
  source: UsageSource;
}

// What providers send: every field read leniently, a count being a number ≥ 0 (zod's number is finite); anything else is absent.
const count = z.catch(z.optional(z.number().check(z.gte(0))), undefined);
const reasoningDetails = z.catch(z.optional(z.looseObject({ reasoning_tokens: count })), undefined);
const cachedDetails = z.catch(z.optional(z.looseObject({ cached_tokens: count })), undefined);

/** One usage record, in the chat-completions or the Responses shape, with every provider's additions read here. */
const providerUsageSchema = z.looseObject({
  prompt_tokens: count,
  completion_tokens: count,
  total_tokens: count,
  input_tokens: count,
  output_tokens: count,
  completion_tokens_details: reasoningDetails,
  output_tokens_details: reasoningDetails,
  // Flat, as Perplexity and some gateways send it.
  reasoning_tokens: count,
  prompt_tokens_details: cachedDetails,
  input_tokens_details: cachedDetails,
  // Moonshot, at usage level.
  cached_tokens: count,
  // DeepSeek.
  prompt_cache_hit_tokens: count,
  // OpenRouter; the Vercel gateway.
  cache_write_tokens: count,
  cache_creation_input_tokens: count,
  // A number (OpenRouter, Vercel), or Perplexity's breakdown with its total.
  cost: z.catch(z.optional(z.union([z.number().check(z.gte(0)), z.looseObject({ total_cost: count })])), undefined),
  // xAI: 1 USD = 10^10 ticks (docs.x.ai, "Cost Tracking").
  cost_in_usd_ticks: count,
});
type ProviderUsage = z.output<typeof providerUsageSchema>;

const timingsSchema = z.looseObject({ prompt_n: count, cache_n: count, predicted_n: count });

/** Gemini's `usageMetadata`: thoughts beside the candidates, tool-use prompt tokens beside the prompt. */
const usageMetadataSchema = z.looseObject({
  promptTokenCount: count,
  toolUsePromptTokenCount: count,
  candidatesTokenCount: count,
  thoughtsTokenCount: count,
  cachedContentTokenCount: count,
});

const gatewayCostSchema = z.looseObject({ gateway: z.catch(z.optional(z.looseObject({ cost: z.optional(z.string()) })), undefined) });

/** What a stream carried about usage: the last of each kind, kept as sent until the end. */
interface Seen {
  record?: Json;
  field?: 'usage' | 'choices[].usage' | 'x_groq.usage' | 'response.usage';
  timings?: Json;
  usageMetadata?: Json;
  providerMetadata?: Json;
}

const isCount = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value) && value >= 0;

/** A usage object with at least one count: `usage: null` and empty placeholders are not snapshots. */
const hasCounts = (value: unknown): value is Json =>
  isObject(value) &&
  (isCount(value.prompt_tokens) ||
    isCount(value.completion_tokens) ||
    isCount(value.total_tokens) ||
    isCount(value.input_tokens) ||
    isCount(value.output_tokens));

const tokens = (input: number, output: number, reasoning: number, cached: number): TokenUsage => ({
  inputTokens: input,
  outputTokens: output,
  totalTokens: input + output,
  reasoningTokens: reasoning,
  cacheReadTokens: cached,
});

const costOf = (usage: ProviderUsage | undefined, providerMetadata: Json | undefined): UsageSource['cost'] => {
  const cost = usage?.cost;
  if (typeof cost === 'number') return { usd: cost, field: 'usage.cost' };
  if (cost?.total_cost !== undefined) return { usd: cost.total_cost, field: 'usage.cost.total_cost' };
  if (usage?.cost_in_usd_ticks !== undefined) return { usd: usage.cost_in_usd_ticks / 1e10, field: 'usage.cost_in_usd_ticks' };
  const stated = gatewayCostSchema.parse(providerMetadata ?? {}).gateway?.cost;
  const usd = stated ? Number(stated) : Number.NaN;
  return usd >= 0 ? { usd, field: 'provider_metadata.gateway.cost' } : undefined;
};

type Decision = Pick<UsageSource, 'reasoning' | 'rule'> & { output: number; reasoningTokens: number };

/**
 * Where reasoning is, from every count of the record together: a part cannot exceed the
 * whole, and a total above prompt + completion holds generated tokens the completion
 * left out (xAI names them, Gemini's compatible endpoint does not).
 */
const decide = (prompt: number, completion: number, total: number | undefined, reasoning: number): Decision => {
  if (reasoning > completion) return { reasoning: 'beside', rule: 'reasoning-exceeds-completion', output: completion + reasoning, reasoningTokens: reasoning };
  const beyond = total === undefined ? undefined : total - prompt - completion;
  const inside = reasoning > 0 ? 'inside' : 'none';
  if (beyond === undefined) return { reasoning: inside, rule: 'no-total', output: completion, reasoningTokens: reasoning };
  if (beyond < 0) return { reasoning: inside, rule: 'total-below', output: completion, reasoningTokens: reasoning };
  if (beyond === 0) return { reasoning: inside, rule: 'total-matches', output: completion, reasoningTokens: reasoning };
  if (reasoning === 0 || reasoning === beyond)
    return { reasoning: 'beside', rule: 'total-shows-reasoning', output: completion + beyond, reasoningTokens: beyond };
  return { reasoning: 'beside', rule: 'total-surplus', output: completion + beyond, reasoningTokens: reasoning + beyond };
};

const fromRecord = (record: Json, field: UsageField, timings: Json | undefined, providerMetadata: Json | undefined): BilledUsage => {
  const usage = providerUsageSchema.parse(record);
  const prompt = usage.prompt_tokens ?? usage.input_tokens ?? 0;
  const completion = usage.completion_tokens ?? usage.output_tokens ?? 0;
  const reported = usage.completion_tokens_details?.reasoning_tokens ?? usage.output_tokens_details?.reasoning_tokens ?? usage.reasoning_tokens;
  const cached =
    usage.prompt_tokens_details?.cached_tokens ??
    usage.input_tokens_details?.cached_tokens ??
    usage.cached_tokens ??
    usage.prompt_cache_hit_tokens ??
    (timings ? timingsSchema.parse(timings).cache_n : undefined) ??
    0;
  const decision = decide(prompt, completion, usage.total_tokens, reported ?? 0);
  const cacheWrite = usage.cache_write_tokens ?? usage.cache_creation_input_tokens;
  const cost = costOf(usage, providerMetadata);
  return {
    tokens: tokens(prompt, decision.output, decision.reasoningTokens, cached),
    source: {
      field,
      reasoning: decision.reasoning,
      rule: decision.rule,
      reported: {
        prompt,
        completion,
        ...(usage.total_tokens === undefined ? {} : { total: usage.total_tokens }),
        ...(reported === undefined ? {} : { reasoning: reported }),
      },
      ...(cacheWrite ? { cacheWriteTokens: cacheWrite } : {}),
      ...(cost ? { cost } : {}),
    },
  };
};

/** llama.cpp counts the prompt tokens it evaluated (`prompt_n`) apart from those its cache held (`cache_n`). */
const fromTimings = (timings: Json): BilledUsage => {
  const read = timingsSchema.parse(timings);
  const cached = read.cache_n ?? 0;
  return {
    tokens: tokens((read.prompt_n ?? 0) + cached, read.predicted_n ?? 0, 0, cached),
    source: { field: 'timings', reasoning: 'none', rule: 'timings' },
  };
};

/** Google's `usageMetadata`, beside the chunk or in a gateway's provider metadata (keyed by the upstream's name). */
const usageMetadataOf = (seen: Seen): Json | undefined => {
  if (seen.usageMetadata) return seen.usageMetadata;
  for (const upstream of Object.values(seen.providerMetadata ?? {})) {
    if (isObject(upstream) && isObject(upstream.usageMetadata)) return upstream.usageMetadata;
  }
  return undefined;
};

/**
 * Google's own accounting wins where it disagrees with the OpenAI-shaped record a gateway
 * built from it: its thoughts are output whatever the gateway's `completion_tokens` say.
 */
const withUsageMetadata = (billed: BilledUsage | undefined, metadata: Json, providerMetadata: Json | undefined): BilledUsage => {
  const read = usageMetadataSchema.parse(metadata);
  const thoughts = read.thoughtsTokenCount ?? 0;
  const google = tokens(
    (read.promptTokenCount ?? 0) + (read.toolUsePromptTokenCount ?? 0),
    (read.candidatesTokenCount ?? 0) + thoughts,
    thoughts,
    read.cachedContentTokenCount ?? 0,
  );
  if (billed && billed.tokens.inputTokens === google.inputTokens && billed.tokens.outputTokens === google.outputTokens) return billed;
  const cost = billed?.source.cost ?? costOf(undefined, providerMetadata);
  return {
    tokens: google,
    source: {
      ...billed?.source,
      field: 'usageMetadata',
      reasoning: thoughts > 0 ? 'beside' : 'none',
      rule: 'usage-metadata',
      ...(cost ? { cost } : {}),
    },
  };
};

const billedFrom = (seen: Seen): BilledUsage | undefined => {
  const billed =
    seen.record && seen.field ? fromRecord(seen.record, seen.field, seen.timings, seen.providerMetadata) : seen.timings ? fromTimings(seen.timings) : undefined;
  const metadata = usageMetadataOf(seen);
  return metadata ? withUsageMetadata(billed, metadata, seen.providerMetadata) : billed;
};

export interface UsageReader {
  /** Takes note of what one chat-completions chunk carries about usage; a few property reads when it carries none. */
  chunk(chunk: unknown): void;
  /** The usage billed for what was read so far; undefined while the stream carried none. */
  result(): BilledUsage | undefined;
}

/** Reads one chat-completions stream's usage: chunks are only noted as they pass, the counts decided once at the end. */
export const createUsageReader = (): UsageReader => {
  const seen: Seen = {};
  return {
    chunk(chunk) {
      if (!isObject(chunk)) return;
      const { choices } = chunk;
      const choice: Json = Array.isArray(choices) && isObject(choices[0]) ? choices[0] : {};
      if (hasCounts(chunk.usage)) {
        seen.record = chunk.usage;
        seen.field = 'usage';
      } else if (hasCounts(choice.usage)) {
        seen.record = choice.usage;
        seen.field = 'choices[].usage';
      } else if (isObject(chunk.x_groq) && hasCounts(chunk.x_groq.usage)) {
        seen.record = chunk.x_groq.usage;
        seen.field = 'x_groq.usage';
      }
      if (isObject(chunk.timings) && typeof chunk.timings.predicted_n === 'number') seen.timings = chunk.timings;
      if (isObject(chunk.usageMetadata)) seen.usageMetadata = chunk.usageMetadata;
      const metadata = chunk.provider_metadata ?? (isObject(choice.delta) ? choice.delta.provider_metadata : undefined);
      if (isObject(metadata)) seen.providerMetadata = metadata;
    },
    result: () => billedFrom(seen),
  };
};

/** The usage of a Responses API stream, from its `response.completed` / `response.incomplete`. */
export const responsesUsage = (usage: unknown): BilledUsage | undefined =>
  hasCounts(usage) ? fromRecord(usage, 'response.usage', undefined, undefined) : undefined;
