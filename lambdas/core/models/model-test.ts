import type * as z from 'zod/mini';
import type { Identity } from '../auth/identity.ts';
import { connectModel, type ModelConnection } from '../chat/2-check/connect-model.ts';
import { createKeyCache, type KeyCache, PLACEHOLDER_API_KEY } from '../chat/2-check/key-cache.ts';
import { cachingResolver, type HostResolver, systemResolver } from '../llm/base-url-guard.ts';
import { callModel } from '../llm/call-model.ts';
import { preloadOpenAi } from '../llm/client.ts';
import type { UpstreamSink } from '../llm/types.ts';
import { describeUpstreamError } from '../llm/upstream-errors.ts';
import { logger } from '../observability/logger.ts';
import { createRequestLog } from '../observability/request-log.ts';
import { enforceRateLimit } from '../ratelimit/rate-limit.ts';
import type { Runtime } from '../runtime.ts';
import { MODEL_TEST_MSG, UPSTREAM_MSG } from '../wire/messages.ts';
import type { modelTestResultSchema } from '../wire/responses.ts';
import type { ModelTestInput } from './schema.ts';
import { keepsStoredKey, modelToChange, requireKeyStaysWithEndpoint } from './service.ts';

export type ModelTestResult = z.output<typeof modelTestResultSchema>;

/** What the test asks: short, so it costs a few tokens; the reply is read only to its first text. */
export const MODEL_TEST_PROMPT = 'Reply with the single word OK.';

/**
 * How long the test waits for the first text. The api function has 15 s (lib/rest-api.ts),
 * RuoYi's `/getInfo` and the reads before come first; a model slower than this to start
 * answering is reported as a timeout, which for a chat it would be soon after too.
 */
export const MODEL_TEST_BUDGET_MS = 10_000;

const DNS_CACHE_MS = 30_000;
const defaultResolver = cachingResolver(systemResolver, DNS_CACHE_MS);

type Deps = Pick<Runtime, 'db' | 'tables' | 'cipher' | 'settings'>;

export interface ModelTestOptions {
  resolveHost?: HostResolver;
  budgetMs?: number;
}

const seconds = (ms: number) => Math.round(ms) / 1000;

/** The key the test sends: typed for it, or the stored one (decrypted as a send does), or none. */
const testKeys = (deps: Deps, apiKey: string | null | undefined): { keys: KeyCache; source: ModelTestResult['keySource'] } => {
  if (!keepsStoredKey(apiKey)) {
    const typed = apiKey?.trim();
    return { keys: { apiKey: async () => typed || PLACEHOLDER_API_KEY }, source: typed ? 'typed' : 'none' };
  }
  return { keys: createKeyCache(deps.cipher, 0), source: 'stored' };
};

/** How the one request went: when the first text came, or what it threw, or that the budget ran out first. */
interface Probe {
  firstTextMs?: number;
  error?: unknown;
  timedOut: boolean;
  durationMs: number;
}

/** Sends the test's request and reads the reply until its first text (content or reasoning), within the budget. */
const probe = async (connection: ModelConnection, modelCode: string, budgetMs: number): Promise<Probe> => {
  // Loaded first (on the api function's first test), so the time measured is the provider's.
  await preloadOpenAi();
  const stop = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stop.abort();
  }, budgetMs);
  const started = performance.now();
  let firstTextMs: number | undefined;
  const onText = (text: string) => {
    if (!text || firstTextMs !== undefined) return;
    firstTextMs = performance.now() - started;
    stop.abort();
  };
  const sink: UpstreamSink = { demand: () => undefined, seen: () => {}, content: onText, reasoning: onText, usage: () => {} };
  let error: unknown;
  try {
    await callModel(
      {
        profile: connection.profile,
        target: connection.target,
        apiKey: connection.apiKey,
        request: { model: modelCode, messages: [{ role: 'user', text: MODEL_TEST_PROMPT }], reasoning: false },
        headersTimeoutMs: budgetMs,
        ready: Promise.resolve(true),
      },
      sink,
      stop.signal,
    );
  } catch (err) {
    error = err;
  } finally {
    clearTimeout(timer);
  }
  return { firstTextMs, error, timedOut: timedOut && firstTextMs === undefined, durationMs: performance.now() - started };
};

type Outcome = Pick<ModelTestResult, 'passed' | 'errorClass' | 'message' | 'reason' | 'status' | 'timeToFirstToken'> & { log: Record<string, unknown> };

/**
 * The first text means the settings work; so does a reply that ended without text. An
 * error is told as the chat's error line tells it (upstream-errors.ts), the budget running
 * out as a timeout.
 */
const outcomeOf = (result: Probe, apiKey: string, budgetMs: number): Outcome => {
  if (result.firstTextMs !== undefined || (!result.error && !result.timedOut)) {
    const timeToFirstToken = result.firstTextMs === undefined ? null : seconds(result.firstTextMs);
    const message = timeToFirstToken === null ? MODEL_TEST_MSG.noText : MODEL_TEST_MSG.passed(timeToFirstToken);
    return { passed: true, errorClass: null, message, reason: null, status: null, timeToFirstToken, log: { timeToFirstToken } };
  }
  if (result.timedOut) {
    return {
      passed: false,
      errorClass: 'timeout',
      message: UPSTREAM_MSG.timeout,
      reason: null,
      status: null,
      timeToFirstToken: null,
      log: { class: 'timeout', budgetMs },
    };
  }
  const failure = describeUpstreamError(result.error, { apiKey, prompt: [] });
  return {
    passed: false,
    errorClass: failure.errorClass,
    message: failure.message,
    reason: failure.reason ?? null,
    status: failure.status ?? null,
    timeToFirstToken: null,
    log: failure.log,
  };
};

/**
 * Tests a model's settings with one minimal streamed request to its provider, after the
 * checks a send makes: the caller's rate limit (a test takes one of the caller's sends of
 * the minute), the model's existence and the caller's data scope, the stored key's
 * destination, the key's decryption and the base-URL guard. The model may be disabled (a
 * model is tested before it is enabled). The answer is the outcome, never the key: how
 * long the first text took, or the error class and the provider's own sanitised reason.
 */
export const testModel = async (deps: Deps, identity: Identity, input: ModelTestInput, options: ModelTestOptions = {}): Promise<ModelTestResult> => {
  await enforceRateLimit(deps, identity.userId, 'send', deps.settings.RATE_LIMIT_SENDS_PER_MINUTE);
  const stored = await modelToChange(deps, identity, input.modelId);
  const tested = {
    ...stored,
    modelCode: input.modelCode ?? stored.modelCode,
    provider: input.provider ?? stored.provider,
    baseUrl: input.baseUrl ?? stored.baseUrl,
  };
  requireKeyStaysWithEndpoint(stored, { ...tested, apiKey: input.apiKey });
  const { keys, source } = testKeys(deps, input.apiKey);
  const connection = await connectModel({ runtime: deps, keys, resolveHost: options.resolveHost ?? defaultResolver }, tested, createRequestLog());

  const budgetMs = options.budgetMs ?? MODEL_TEST_BUDGET_MS;
  const result = await probe(connection, tested.modelCode, budgetMs);
  const { log, ...outcome } = outcomeOf(result, connection.apiKey, budgetMs);
  logger.info('model tested', { modelId: stored.modelId, passed: outcome.passed, upstream: log });
  return {
    ...outcome,
    duration: seconds(result.durationMs),
    modelCode: tested.modelCode,
    provider: tested.provider,
    baseUrl: tested.baseUrl,
    keySource: source === 'stored' && !stored.apiKeyCipher ? 'none' : source,
  };
};
