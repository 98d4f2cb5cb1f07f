import { isConditionFailed } from '../db/dynamodb-error.ts';
import type { Runtime } from '../runtime.ts';
import { type StoreResult, storeFinishedRun } from '../sessions/final-write.ts';
import { markRunFailed } from '../sessions/run-status.ts';
import { type KeptRuns, readKeptRun } from './kept-run.ts';

export interface DrainDeps extends Pick<Runtime, 'db' | 'tables'> {
  keptRuns: Pick<KeptRuns, 'objects'>;
}

/** What draining one kept run did: stored it (or found it stored), found it refused for good, or found nothing (drained before). */
export type DrainResult = StoreResult | 'gone';

/**
 * Writes what one kept-runs message holds: stores its run with the same final write the
 * stream would have made (sessions/final-write.ts), then lets go of its object, if it had
 * one; or marks a run that never started failed. Idempotent, as the queue delivers at
 * least once: a run stored before is found stored, an object drained before is gone, a
 * status no longer RUNNING is left as it is. A run refused for good (its session deleted
 * meanwhile) is let go too. Throws while DynamoDB does not serve the write by `deadline`
 * (epoch ms): the queue delivers the message again later.
 */
export const drainKeptRun = async (deps: DrainDeps, body: string, deadline: number): Promise<DrainResult> => {
  const kept = await readKeptRun(deps.keptRuns.objects, body);
  if (!kept) return 'gone';
  const store = { db: deps.db.until(deadline), tables: deps.tables };
  if (kept.kind === 'fail') {
    return markRunFailed(store, kept.run).then(
      (): DrainResult => 'stored',
      (err: unknown): DrainResult => {
        if (isConditionFailed(err)) return 'refused';
        throw err;
      },
    );
  }
  const result = await storeFinishedRun(store, kept.finished);
  if (kept.key) await deps.keptRuns.objects.delete(kept.key);
  return result;
};
