import type { TokenUsage } from './types.ts';

/**
 * What one chat-completions chunk carries, read from wherever the OpenAI-compatible
 * family puts it. Providers send JSON the openai types do not describe, so every field
 * is read as unknown and only strings and finite numbers come out.
 */

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const count = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined);

export interface DeltaText {
  content: string;
  reasoning: string;
}

/** Text of a thinking part's body: a string, or (Mistral magistral) a list of text parts. */
const thinkingText = (value: unknown): string =>
  Array.isArray(value) ? value.map((part) => (isObject(part) ? str(part.text) : str(part))).join('') : str(value);

/**
 * `content` as a list of typed parts (Mistral): text and refusals are the reply,
 * thinking is reasoning; other parts (references, images) carry no reply text.
 */
const addParts = (parts: unknown[], out: DeltaText): void => {
  for (const part of parts) {
    if (typeof part === 'string') out.content += part;
    else if (!isObject(part)) continue;
    else if (part.type === 'text') out.content += str(part.text);
    else if (part.type === 'refusal') out.content += str(part.refusal);
    else if (part.type === 'thinking' || part.type === 'reasoning') out.reasoning += thinkingText(part.thinking ?? part.reasoning ?? part.text);
  }
};

/** OpenRouter's `reasoning_details`: text and summary entries; encrypted ones carry nothing readable. */
const detailsText = (details: unknown): string =>
  Array.isArray(details)
    ? details.map((d) => (isObject(d) ? (d.type === 'reasoning.summary' ? str(d.summary) : d.type === 'reasoning.text' ? str(d.text) : '') : '')).join('')
    : '';

/**
 * The reply and reasoning text of a chunk's first choice, always strings. Reasoning is
 * read from the first field that has any: `reasoning_content` (DeepSeek, Qwen, xAI,
 * vLLM), `reasoning` (OpenRouter, Groq, Ollama, newer vLLM), then `reasoning_details`
 * (OpenRouter sends it beside `reasoning` with the same text, so it is only a fallback).
 */
export const deltaText = (delta: unknown): DeltaText => {
  const out: DeltaText = { content: '', reasoning: '' };
  if (!isObject(delta)) return out;
  const { content } = delta;
  if (typeof content === 'string') out.content = content;
  else if (Array.isArray(content)) addParts(content, out);
  else if (isObject(content)) addParts([content], out);
  out.content += str(delta.refusal);
  out.reasoning += thinkingText(delta.reasoning_content) || thinkingText(delta.reasoning) || detailsText(delta.reasoning_details);
  return out;
};

/**
 * Token usage of a chunk, if it has any: `usage`, else Groq's `x_groq.usage`, else
 * llama.cpp's `timings`. Providers that send running totals on every chunk
 * (Perplexity, vLLM with continuous usage) are handled by the caller keeping the last.
 *
 * What each figure means, whatever the provider:
 * - inputTokens: the prompt, cached part included;
 * - outputTokens: everything generated, reasoning included (xAI reports reasoning
 *   beside `completion_tokens`, not in it: its total says which);
 * - totalTokens: the provider's total, else input + output;
 * - reasoningTokens: the part of outputTokens spent reasoning;
 * - cacheReadTokens: the part of inputTokens read from the provider's prompt cache.
 */
export const chunkUsage = (chunk: unknown): TokenUsage | undefined => {
  if (!isObject(chunk)) return undefined;
  const groq = isObject(chunk.x_groq) ? chunk.x_groq.usage : undefined;
  const usage = isObject(chunk.usage) ? chunk.usage : isObject(groq) ? groq : undefined;
  const timings = isObject(chunk.timings) ? chunk.timings : undefined;
  if (usage) return fromUsage(usage, timings);
  if (timings && count(timings.predicted_n) !== undefined) return fromTimings(timings);
  return undefined;
};

const fromUsage = (usage: Json, timings: Json | undefined): TokenUsage => {
  const input = count(usage.prompt_tokens) ?? 0;
  const completion = count(usage.completion_tokens) ?? 0;
  const details = isObject(usage.completion_tokens_details) ? usage.completion_tokens_details : {};
  const promptDetails = isObject(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
  const reasoning = count(details.reasoning_tokens) ?? 0;
  const total = count(usage.total_tokens);
  const reasoningBeside = reasoning > 0 && total === input + completion + reasoning;
  const output = reasoningBeside ? completion + reasoning : completion;
  return {
    inputTokens: input,
    outputTokens: output,
    totalTokens: total ?? input + output,
    reasoningTokens: reasoning,
    cacheReadTokens: count(promptDetails.cached_tokens) ?? count(usage.prompt_cache_hit_tokens) ?? (timings ? count(timings.cache_n) : undefined) ?? 0,
  };
};

/** llama.cpp counts the prompt tokens it evaluated (`prompt_n`) apart from those its cache held (`cache_n`). */
const fromTimings = (timings: Json): TokenUsage => {
  const cached = count(timings.cache_n) ?? 0;
  const input = (count(timings.prompt_n) ?? 0) + cached;
  const output = count(timings.predicted_n) ?? 0;
  return { inputTokens: input, outputTokens: output, totalTokens: input + output, reasoningTokens: 0, cacheReadTokens: cached };
};
