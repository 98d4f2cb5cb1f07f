import * as z from 'zod/mini';
import { isStorageUnavailable } from '../db/dynamodb-error.ts';
import { ServiceError } from '../errors/service-error.ts';
import { recordCancel } from '../observability/metrics.ts';
import { enforceRateLimit } from '../ratelimit/rate-limit.ts';
import type { Runtime } from '../runtime.ts';
import { REFUSAL_MSG } from '../wire/messages.ts';
import { cancelRun, waitUntilStored } from './run-status.ts';

type Deps = Pick<Runtime, 'db' | 'tables' | 'settings'>;

/** How often the stop reads whether its run has been stored. */
const SETTLE_POLL_MS = 100;

export const cancelRequestSchema = z.object({
  runId: z.uuid({ error: 'runId: 必须是UUID' }),
});

/**
 * The stop button: counted against the caller's cancel limit (429 past it, nothing
 * cancelled), then one conditional update that only the run's owner can make while it
 * runs; the stream, in whatever instance, sees it on its next poll and stores the run as
 * it stopped. The answer waits for that store, up to CANCEL_SETTLE_MS: RuoYi's page
 * drops its connection once the stop answers, expecting the reply saved by then, and a
 * reload or a session switch right after shows the stopped reply. Past that wait it
 * answers all the same: the stop is recorded and the stream honours it. A stop that
 * could not be recorded because storage did not answer says so: the reply runs on.
 */
export const requestCancel = async (deps: Deps, userId: string, runId: string, now = Date.now()): Promise<void> => {
  try {
    await enforceRateLimit(deps, userId, 'cancel', deps.settings.RATE_LIMIT_CANCELS_PER_MINUTE, now);
    await cancelRun(deps, runId, userId);
  } catch (err) {
    if (isStorageUnavailable(err)) throw ServiceError.service(REFUSAL_MSG.cancelNotRecorded);
    throw err;
  }
  recordCancel();
  await waitUntilStored(deps, runId, Math.min(Date.now() + deps.settings.CANCEL_SETTLE_MS, deps.db.deadline()), SETTLE_POLL_MS);
};
