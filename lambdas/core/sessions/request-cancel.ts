import * as z from 'zod/mini';
import { recordCancel } from '../observability/metrics.ts';
import { enforceRateLimit } from '../ratelimit/rate-limit.ts';
import type { Runtime } from '../runtime.ts';
import { cancelRun } from './run-status.ts';

type Deps = Pick<Runtime, 'db' | 'tables' | 'settings'>;

export const cancelRequestSchema = z.object({
  runId: z.uuid({ error: 'runId: 必须是UUID' }),
});

/**
 * The stop button: counted against the caller's cancel limit (429 past it, nothing
 * cancelled), then one conditional update that only the run's owner can make while it runs.
 * The stream, in whatever instance, sees it on its next poll.
 */
export const requestCancel = async (deps: Deps, userId: string, runId: string, now = Date.now()): Promise<void> => {
  await enforceRateLimit(deps, userId, 'cancel', deps.settings.RATE_LIMIT_CANCELS_PER_MINUTE, now);
  await cancelRun(deps, runId, userId);
  recordCancel();
};
