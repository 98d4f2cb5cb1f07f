import type OpenAI from 'openai';
import { setRecent } from '../memo.ts';
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

/** Clients kept, most recently used last; a client is cheap to keep and ~1 ms to build. */
const clients = new Map<string, OpenAI>();
const MAX_CLIENTS = 32;

/**
 * The client for one model's checked target and key, reused by the runs of a warm
 * instance (the SDK builds its whole resource tree per client). The pinned fetch belongs
 * to the checked addresses, so new addresses make a new client. One retry covers a
 * keep-alive socket the provider closed while the instance slept.
 */
export const createModelClient = async (options: ClientOptions): Promise<OpenAI> => {
  const { OpenAI: Client } = await preloadOpenAi();
  const key = JSON.stringify([options.target.url.href, options.target.addresses ?? null, options.timeoutMs, options.apiKey]);
  const client =
    clients.get(key) ??
    new Client({
      apiKey: options.apiKey,
      baseURL: options.target.url.href,
      fetch: createPinnedFetch(options.target),
      maxRetries: 1,
      timeout: options.timeoutMs,
      logLevel: 'off',
    });
  return setRecent(clients, key, client, MAX_CLIENTS);
};
