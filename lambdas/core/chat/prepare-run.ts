import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Identity } from '../auth/identity.ts';
import { getChatConfig } from '../configs/repository.ts';
import type { ChatConfig } from '../configs/schema.ts';
import { ServiceError } from '../errors/service-error.ts';
import { requestImageRefs, ruoyiUploadPaths, type ImageRef } from '../images/image-refs.ts';
import { getModel } from '../models/repository.ts';
import type { StoredModel } from '../models/schema.ts';
import { requireModelInScope } from '../models/scope.ts';
import { enforceRateLimit } from '../ratelimit/rate-limit.ts';
import { loadHistory, requireOwnedSession } from '../sessions/run-store.ts';
import type { RunRecord } from '../sessions/types.ts';
import type { ChatDeps } from './deps.ts';
import { connectModel, type ModelConnection } from './model-call.ts';
import { historyWanted } from './prompt.ts';
import type { ChatRequest } from './request-schema.ts';

export const MODEL_MISSING_MSG = '模型不存在';
export const MODEL_DISABLED_MSG = '模型已停用';

/** Everything a run needs once the pre-stream checks passed. */
export interface PreparedRun {
  identity: Identity;
  request: ChatRequest;
  runId: string;
  sessionId: string;
  isNewSession: boolean;
  model: StoredModel;
  config: ChatConfig;
  connection: ModelConnection;
  /** The caller's own image keys and the RuoYi upload paths among those sent, without repeats. */
  images: ImageRef[];
  /**
   * The session's history for the prompt, loading since the session's owner and the
   * config were known; a failure is the run's to report (after `run_info`), not a refusal.
   */
  history: Promise<RunRecord[]>;
}

/** The model if the caller may chat with it now; the contract's messages otherwise. */
export const usableModel = (identity: Identity, model: StoredModel | undefined): StoredModel => {
  if (!model) throw ServiceError.service(MODEL_MISSING_MSG);
  requireModelInScope(identity, model);
  if (model.status !== '0') throw ServiceError.service(MODEL_DISABLED_MSG);
  return model;
};

/**
 * Awaits every piece of work and then throws the first failure in list order, so the
 * error a caller sees does not depend on which read happened to finish first.
 */
const allInOrder = async <T extends readonly unknown[]>(work: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> => {
  const settled = await Promise.allSettled(work);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
};

/**
 * The pre-stream part of a run: the rate limit, the model, the caller's config and the
 * session's ownership, all at once; then, as soon as the model is known, its key and
 * its base URL in parallel, and as soon as the session is known to be the caller's, its
 * history. Anything refused here becomes the JSON envelope; nothing is written and no
 * provider is contacted before all of it passed.
 */
export const prepareRun = async (deps: ChatDeps, identity: Identity, request: ChatRequest, log: Logger): Promise<PreparedRun> => {
  const { runtime } = deps;
  const { settings } = runtime;
  // First, and synchronously: a malformed image path is refused before any read or count.
  const images = requestImageRefs(ruoyiUploadPaths(settings), identity.userId, request.images ?? []);
  const runId = randomUUID();
  const sessionId = request.sessionId ?? randomUUID();
  const rateLimit = enforceRateLimit(runtime, identity.userId, 'send', settings.RATE_LIMIT_SENDS_PER_MINUTE);
  const model = getModel(runtime, request.modelId).then((found) => usableModel(identity, found));
  const session = request.sessionId ? requireOwnedSession(runtime, request.sessionId, identity.userId) : undefined;
  const config = getChatConfig(runtime, identity.userId);
  const connection = model.then((found) => connectModel(deps, found, log));
  const history = session
    ? Promise.all([session, config]).then(([, found]) =>
        historyWanted(found) ? loadHistory(runtime, request.sessionId!, found.numHistoryRuns) : [],
      )
    : Promise.resolve([]);
  // A refused request never reads it; a run awaits it and reports its failure.
  history.catch(() => {});
  const [, checkedModel, , chatConfig, modelConnection] = await allInOrder([rateLimit, model, session, config, connection] as const);
  return {
    identity,
    request,
    runId,
    sessionId,
    isNewSession: !request.sessionId,
    model: checkedModel,
    config: chatConfig,
    connection: modelConnection,
    images,
    history,
  };
};
