import OpenAI from 'openai';
import { defaultChatConfig } from '../../lambdas/core/configs/schema.ts';
import { systemPrompt } from '../../lambdas/core/chat/4-start-call/prompt.ts';
import { msSince } from './stats.ts';

/**
 * The baseline: the same `openai` client the stream function uses, with its default
 * fetch, calling the same model server directly with the request the function would
 * send (system prompt, message, usage asked for).
 */
export const createDirectClient = (baseURL: string): OpenAI => new OpenAI({ apiKey: 'no-api-key', baseURL, maxRetries: 0 });

export interface DirectTimes {
  firstContentMs?: number;
  lastContentMs?: number;
  endMs: number;
  contentChunks: number;
}

const SYSTEM_PROMPT = systemPrompt(defaultChatConfig('bench'));

export interface Turn {
  role: 'user' | 'assistant';
  content: string;
}

/** The request the function would send; `history`: the earlier turns it would put in a follow-up's prompt. */
export const chatBody = (message: string, history: readonly Turn[] = []) => ({
  model: 'local-model',
  messages: [{ role: 'system' as const, content: SYSTEM_PROMPT }, ...history, { role: 'user' as const, content: message }],
  stream: true as const,
  stream_options: { include_usage: true },
  temperature: 0.7,
  max_completion_tokens: 4096,
});

export const directChat = async (client: OpenAI, message: string, history: readonly Turn[] = []): Promise<DirectTimes> => {
  const sentAt = process.hrtime.bigint();
  let firstContentMs: number | undefined;
  let lastContentMs: number | undefined;
  let contentChunks = 0;
  const stream = await client.chat.completions.create(chatBody(message, history));
  for await (const chunk of stream) {
    if (chunk.choices[0]?.delta?.content) {
      lastContentMs = msSince(sentAt);
      firstContentMs ??= lastContentMs;
      contentChunks += 1;
    }
  }
  return { firstContentMs, lastContentMs, endMs: msSince(sentAt), contentChunks };
};

/** One send each way, one after the other; which goes first alternates by turn, so neither always meets the other's leftovers. */
export const backToBack = async <A, B>(turn: number, a: () => Promise<A>, b: () => Promise<B>): Promise<[A, B]> => {
  if (turn % 2) {
    const first = await a();
    return [first, await b()];
  }
  const second = await b();
  return [await a(), second];
};

export const firstContent = (out: { firstContentMs?: number }): number => {
  if (out.firstContentMs === undefined) throw new Error(`no content in a send: ${JSON.stringify(out)}`);
  return out.firstContentMs;
};
