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

const THOUGHT_OPEN = '<thought>';
const THOUGHT_CLOSE = '</thought>';
const without = (text: string, prefix: string) => (text.startsWith(prefix) ? text.slice(prefix.length) : text);

/** Gemini's OpenAI-compatible endpoint (with `include_thoughts`) flags thought text sent in `content`. */
const isGeminiThought = (delta: Json): boolean =>
  isObject(delta.extra_content) && isObject(delta.extra_content.google) && delta.extra_content.google.thought === true;

/**
 * Plain-string `content`. Gemini wraps its flagged thought text in `<thought>` markers
 * and puts the closing one at the start of the answer; the markers are not text.
 */
const addString = (content: string, thought: boolean, out: DeltaText): void => {
  if (!thought) {
    out.content += without(content, THOUGHT_CLOSE);
    return;
  }
  const close = content.indexOf(THOUGHT_CLOSE);
  out.reasoning += without(close < 0 ? content : content.slice(0, close), THOUGHT_OPEN);
  if (close >= 0) out.content += content.slice(close + THOUGHT_CLOSE.length);
};

/**
 * The reply and reasoning text of a chunk's first choice, always strings. Reasoning is
 * read from the first field that has any: `reasoning_content` (DeepSeek, Qwen, xAI,
 * vLLM), `reasoning` (OpenRouter, Groq, Ollama, newer vLLM), then `reasoning_details`
 * (OpenRouter sends it beside `reasoning` with the same text, so it is only a fallback);
 * Gemini's thought text comes in `content`, flagged.
 */
export const deltaText = (delta: unknown): DeltaText => {
  const out: DeltaText = { content: '', reasoning: '' };
  if (!isObject(delta)) return out;
  const { content } = delta;
  if (typeof content === 'string') addString(content, isGeminiThought(delta), out);
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
 * - outputTokens: everything generated, reasoning included. xAI and Gemini count
 *   reasoning beside `completion_tokens`, not in it, and only their total shows it:
 *   what the total holds above prompt + completion is that reasoning (xAI also names
 *   it in `reasoning_tokens`, Gemini does not);
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
  const reported = count(details.reasoning_tokens) ?? 0;
  const total = count(usage.total_tokens);
  const beyond = total === undefined ? 0 : Math.max(0, total - input - completion);
  // A reported count that is not what the total holds beyond prompt + completion was counted inside the completion.
  const beside = reported === 0 || reported === beyond ? beyond : 0;
  const output = completion + beside;
  return {
    inputTokens: input,
    outputTokens: output,
    totalTokens: total ?? input + output,
    reasoningTokens: beside || reported,
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
