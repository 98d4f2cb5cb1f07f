import { retry } from '../../retry.ts';
import type { Runtime } from '../../runtime.ts';
import { markRunFailed } from '../../sessions/run-status.ts';
import { persistRun } from '../../sessions/run-store.ts';
import type { RunRecord } from '../../sessions/types.ts';

type Deps = Pick<Runtime, 'db' | 'tables'>;

const ATTEMPTS = 3;
/** Why an item of a cancelled transaction was refused, when nothing was applied and a new try may pass. */
const RETRYABLE_REASONS = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

/**
 * Only a transaction DynamoDB cancelled for a concurrent write to the same session
 * header or an item's throttle: certainly applied nothing, and the wire does not retry
 * it (throttles of the whole call, server faults and lost connections it retries itself,
 * with the same idempotency token; a blind retry here could count a turn twice).
 */
const isRetryable = (err: unknown): boolean => {
  const e = err as { name?: string; CancellationReasons?: { Code?: string }[] };
  if (e.name !== 'TransactionCanceledException') return false;
  const codes = (e.CancellationReasons ?? []).map((r) => r.Code ?? 'None').filter((c) => c !== 'None');
  return codes.length > 0 && codes.every((c) => RETRYABLE_REASONS.has(c));
};

export interface PersistOutcome {
  stored: boolean;
  error?: unknown;
}

/**
 * Stores the run (see persistRun), retried as retry.ts says, nothing past `deadline`
 * (epoch ms); when it could not be stored, marks its status FAILED if time is left.
 * Never throws, the caller reports the outcome.
 */
export const persistWithRetry = async (deps: Deps, run: RunRecord, followUp: boolean, deadline: number): Promise<PersistOutcome> => {
  try {
    await retry(() => persistRun(deps, run, { followUp, deadline }), { maxAttempts: ATTEMPTS, deadline, retryable: isRetryable });
    return { stored: true };
  } catch (error) {
    await markRunFailed({ ...deps, db: deps.db.until(deadline) }, run).catch(() => {});
    return { stored: false, error };
  }
};
