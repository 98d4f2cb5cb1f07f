/**
 * The text one chat-completions chunk carries, read from wherever the OpenAI-compatible
 * family puts it (its usage is usage.ts's business). Providers send JSON the openai
 * types do not describe, so every field is read as unknown and only strings come out.
 */

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string => (typeof value === 'string' ? value : '');

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
