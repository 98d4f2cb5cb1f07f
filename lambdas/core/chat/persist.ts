import type { Runtime } from '../runtime.ts';
import { markRunFailed } from '../sessions/run-status.ts';
import { persistRun } from '../sessions/run-store.ts';
import type { RunRecord } from '../sessions/types.ts';

type Deps = Pick<Runtime, 'db' | 'tables'>;

const ATTEMPTS = 3;
/** Wait before the second attempt; tripled before each next one. */
const BACKOFF_MS = 100;
const RETRYABLE = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded']);
const RETRYABLE_REASONS = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

/**
 * Retried only when DynamoDB certainly applied nothing: a cancelled transaction (a
 * concurrent write to the same session header) or a throttle. The client already retried
 * network failures with the same idempotency token; a blind retry here could count a
 * turn twice on the header.
 */
const isRetryable = (err: unknown): boolean => {
  const e = err as { name?: string; CancellationReasons?: { Code?: string }[] };
  if (e.name === 'TransactionCanceledException') {
    const codes = (e.CancellationReasons ?? []).map((r) => r.Code ?? 'None').filter((c) => c !== 'None');
    return codes.length > 0 && codes.every((c) => RETRYABLE_REASONS.has(c));
  }
  return RETRYABLE.has(e.name ?? '');
};

export interface PersistOutcome {
  stored: boolean;
  error?: unknown;
}

/** Stores the run (see persistRun) with a bounded retry; never throws, the caller reports the outcome. */
export const persistWithRetry = async (deps: Deps, run: RunRecord, followUp: boolean): Promise<PersistOutcome> => {
  for (let attempt = 1; ; attempt++) {
    try {
      await persistRun(deps, run, { followUp });
      return { stored: true };
    } catch (err) {
      if (attempt < ATTEMPTS && isRetryable(err)) {
        await new Promise((r) => setTimeout(r, BACKOFF_MS * 3 ** (attempt - 1)));
        continue;
      }
      await markRunFailed(deps, run).catch(() => {});
      return { stored: false, error: err };
    }
  }
};
