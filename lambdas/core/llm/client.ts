import type OpenAI from 'openai';
import type { CheckedTarget } from './base-url-guard.ts';
import { createPinnedFetch } from './pinned-fetch.ts';

let openAiModule: Promise<typeof import('openai')> | undefined;

/**
 * The OpenAI SDK is the largest thing the stream function loads; importing it on first
 * use keeps it off the cold import, and `preloadOpenAi` lets a request start the load
 * while its own database reads are in flight.
 */
export const preloadOpenAi = (): Promise<typeof import('openai')> => {
  openAiModule ??= import('openai').catch((err: unknown) => {
    openAiModule = undefined;
    throw err;
  });
  return openAiModule;
};

export interface ClientOptions {
  /** The OpenAI-compatible root (the SDK appends `/chat/completions` or `/responses`), checked by the guard. */
  target: CheckedTarget;
  apiKey: string;
  /** Longest wait for response headers; the run's own watchdog covers the body. */
  timeoutMs: number;
}

/**
 * One client per run: the pinned fetch belongs to this model's checked addresses.
 * One retry covers a keep-alive socket the provider closed while the instance slept.
 */
export const createModelClient = async (options: ClientOptions): Promise<OpenAI> => {
  const { OpenAI: Client } = await preloadOpenAi();
  return new Client({
    apiKey: options.apiKey,
    baseURL: options.target.url.href,
    fetch: createPinnedFetch(options.target),
    maxRetries: 1,
    timeout: options.timeoutMs,
    logLevel: 'off',
  });
};
