import { randomUUID } from 'node:crypto';
import type { RequestLog } from '../../observability/request-log.ts';
import type { Identity } from '../../auth/identity.ts';
import { chatConfigRead } from '../../configs/repository.ts';
import type { ChatConfig } from '../../configs/schema.ts';
import { readItems } from '../../db/item-read.ts';
import { ServiceError } from '../../errors/service-error.ts';
import { requestImageRefs, ruoyiUploadPaths, type ImageRef } from '../../images/image-refs.ts';
import { modelRead } from '../../models/repository.ts';
import type { StoredModel } from '../../models/schema.ts';
import { requireModelInScope } from '../../models/scope.ts';
import { enforceRateLimit } from '../../ratelimit/rate-limit.ts';
import { claimSession, loadHistory, releaseClaimedSession } from '../../sessions/run-store.ts';
import type { RunRecord } from '../../sessions/types.ts';
import type { ChatDeps } from '../deps.ts';
import { historySize } from './history-sizes.ts';
import { connectModel, type ModelConnection } from './connect-model.ts';
import type { ChatRequest } from '../1-accept/request-schema.ts';
import { REFUSAL_MSG } from '../../wire/messages.ts';
import { checkQuotas, type QuotaGrant } from '../../quotas/quota-check.ts';
import { releaseReservations } from '../../quotas/reservation.ts';

/** Everything a run needs once the pre-stream checks passed. */
export interface PreparedRun {
  identity: Identity;
  request: ChatRequest;
  runId: string;
  sessionId: string;
  /**
   * No header exists yet (the id was made here): the run's store creates it. A session
   * id the client sent has its header claimed by the checks, new or not.
   */
  isNewSession: boolean;
  model: StoredModel;
  config: ChatConfig;
  connection: ModelConnection;
  /** The caller's own image keys and the RuoYi upload paths among those sent, without repeats. */
  images: ImageRef[];
  /** What the quota check reserved (settled by the run's final write) and the soft notices it may show. */
  quota: QuotaGrant;
  /**
   * The session's history for the prompt, read in the same round as the checks; a
   * failure is the run's to report (its error line, the run not started), not a refusal.
   */
  history: Promise<RunRecord[]>;
}

/** The model if the caller may chat with it now; the contract's messages otherwise. */
export const usableModel = (identity: Identity, model: StoredModel | undefined): StoredModel => {
  if (!model) throw ServiceError.service(REFUSAL_MSG.modelMissing);
  requireModelInScope(identity, model);
  if (model.status !== '0') throw ServiceError.service(REFUSAL_MSG.modelDisabled);
  return model;
};

type Settled<T extends Record<string, Promise<unknown>>> = { [K in keyof T]: Awaited<T[K]> };

/**
 * Awaits every piece of work and then throws the first failure in key order, so the
 * error a caller sees does not depend on which read happened to finish first.
 */
const allInOrder = async <T extends Record<string, Promise<unknown>>>(work: T): Promise<Settled<T>> => {
  const keys = Object.keys(work);
  const settled = await Promise.allSettled(Object.values(work));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return Object.fromEntries(keys.map((key, i) => [key, (settled[i] as PromiseFulfilledResult<unknown>).value])) as Settled<T>;
};

/**
 * The history the prompt takes, from a read started before the config was known with
 * `guessed` runs: enough unless the config asks for more than were read and more exist.
 */
const historyFor = (deps: ChatDeps, sessionId: string, config: ChatConfig, guessed: number, read: RunRecord[]) => {
  const wanted = historySize(config);
  if (!wanted) return [];
  if (wanted <= read.length || read.length < guessed) return read.slice(-wanted);
  return loadHistory(deps.runtime, sessionId, wanted);
};

/**
 * The pre-stream part of a run, in one round of DynamoDB requests: the rate limit, the
 * model, the caller's config, the session's claim (an existing session must be the
 * caller's; a new client-made id becomes the caller's) and the session's history, whose
 * size is the one this instance last saw in the caller's config (`history-sizes.ts`);
 * then, as soon as the model is known, its key (cached) and its base URL (cached DNS).
 * A history read for a session that is not the caller's is dropped unread. The quotas
 * that apply are checked in the same round (quotas/quota-check.ts): their keys follow
 * from the caller and the model id, and the quotas and the model's size come from this
 * instance's copies, so the hard ones reserve beside the other reads. Anything refused
 * here becomes the JSON envelope; no provider is contacted before all of it passed, and
 * a header this request created and what its quotas reserved are taken back.
 * `now` is when the run starts: the periods its quotas and its usage count in.
 */
export const prepareRun = async (deps: ChatDeps, identity: Identity, request: ChatRequest, log: RequestLog, now = Date.now()): Promise<PreparedRun> => {
  const { runtime } = deps;
  const { settings } = runtime;
  const { userId } = identity;
  // First, and synchronously: a malformed image path is refused before any read or count.
  const images = requestImageRefs(ruoyiUploadPaths(settings), identity.userId, request.images ?? []);
  const runId = randomUUID();
  const sessionId = request.sessionId ?? randomUUID();
  const rateLimit = enforceRateLimit(runtime, userId, 'send', settings.RATE_LIMIT_SENDS_PER_MINUTE);
  // The model and the config in one request: one fewer for the round to wait on.
  const items = readItems(runtime.db, [modelRead(runtime, request.modelId), chatConfigRead(runtime, userId)]);
  const found = items.then(([model]) => model);
  const model = found.then((stored) => usableModel(identity, stored));
  const session = request.sessionId ? claimSession(runtime, sessionId, userId, request.message) : undefined;
  const config = items.then(([, found]) => found);
  const connection = model.then((found) => connectModel(deps, found, log));
  const guessed = request.sessionId ? deps.historySizes.guess(userId) : 0;
  const read = guessed ? loadHistory(runtime, sessionId, guessed) : Promise.resolve([]);
  config.then((found) => deps.historySizes.remember(userId, found)).catch(() => {});
  const history = session
    ? Promise.all([session, config, read]).then(([claim, found, runs]) => (claim.created ? [] : historyFor(deps, sessionId, found, guessed, runs)))
    : Promise.resolve([]);
  // A refused request never reads it; a run awaits it and reports its failure.
  history.catch(() => {});
  const recalled = deps.models.recall(request.modelId);
  const quota = checkQuotas(
    runtime,
    { identity, modelId: request.modelId, now, quotas: deps.quotas.current(), model: recalled ? Promise.resolve(recalled) : found },
    log,
  );
  const checked = await allInOrder({ rateLimit, model, session: session ?? Promise.resolve(undefined), config, connection, quota }).catch(
    async (err: unknown) => {
      await Promise.all([session && releaseIfCreated(deps, session, sessionId, userId, log), releaseIfReserved(deps, quota, log)]);
      throw err;
    },
  );
  deps.models.remember(checked.model);
  return {
    identity,
    request,
    runId,
    sessionId,
    isNewSession: !request.sessionId,
    model: checked.model,
    config: checked.config,
    connection: checked.connection,
    images,
    quota: checked.quota,
    history,
  };
};

/** A refused request holds nothing back: what its quota check reserved is given back. */
const releaseIfReserved = async (deps: ChatDeps, quota: Promise<QuotaGrant>, log: RequestLog) => {
  const reservations = await quota.then(
    (grant) => grant.reservations,
    () => [],
  );
  await releaseReservations(deps.runtime, reservations).catch((err: unknown) =>
    log.warn('refused run: its quota reservation is left held', { errorName: (err as Error)?.name }),
  );
};

/** A refused request leaves no session behind: the header its claim created is deleted again. */
const releaseIfCreated = async (deps: ChatDeps, session: Promise<{ created: boolean }>, sessionId: string, userId: string, log: RequestLog) => {
  const created = await session.then(
    (claim) => claim.created,
    () => false,
  );
  if (!created) return;
  await releaseClaimedSession(deps.runtime, sessionId, userId).catch((err: unknown) =>
    log.warn('refused run: the session header it created is left', { errorName: (err as Error)?.name }),
  );
};
