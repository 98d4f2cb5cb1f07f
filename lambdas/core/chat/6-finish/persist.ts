import { isStorageUnavailable } from '../../db/dynamodb-error.ts';
import { keepRun } from '../../kept-runs/kept-run.ts';
import { recordRunKept, recordRunLost } from '../../observability/metrics.ts';
import { markRunFailed } from '../../sessions/run-status.ts';
import { type FinishedRun, storeFinishedRun } from '../../sessions/final-write.ts';
import type { RunContext } from '../active-run.ts';
import { keepBy, storeBy } from '../budget.ts';
import type { ChatDeps } from '../deps.ts';

/**
 * Where a finished run ended up: stored in its session; kept by the durable fallback,
 * which the drain stores once DynamoDB answers again; refused for good (its session was
 * deleted meanwhile); lost (DynamoDB refused it in a way a replay would meet again, or
 * neither DynamoDB nor the fallback took it).
 */
export type Storage = 'stored' | 'kept' | 'refused' | 'lost';

/**
 * Stores the finished run with the final write (sessions/final-write.ts), DynamoDB's
 * passing faults waited out until the store's deadline (budget.ts); when storage stayed
 * unavailable that long, hands the same run to the kept-runs queue (kept-runs/), SQS,
 * until the invocation's last second, for the drain to store once DynamoDB answers
 * again. Any other failure would fail the drain's replay the same way: that run is not
 * kept but marked failed, so its status does not stay RUNNING, and so is a run the
 * fallback did not take either. Never throws.
 */
export const persistFinishedRun = async (deps: ChatDeps, finished: FinishedRun, ctx: Pick<RunContext, 'log' | 'remainingTimeMs'>): Promise<Storage> => {
  const { runtime } = deps;
  try {
    const db = runtime.db.until(storeBy(ctx.remainingTimeMs, runtime.settings.STORAGE_PATIENCE_MS));
    const result = await storeFinishedRun({ db, tables: runtime.tables }, finished);
    if (result === 'refused') ctx.log.warn('run not stored: its session was deleted meanwhile');
    return result;
  } catch (err) {
    if (!isStorageUnavailable(err)) return lose(deps, finished, ctx, 'run could not be stored', err);
    ctx.log.error('run not stored in time: keeping it for the drain', err as Error);
  }
  try {
    await keepRun(deps.keptRuns, finished, keepBy(ctx.remainingTimeMs));
    recordRunKept();
    return 'kept';
  } catch (err) {
    return lose(deps, finished, ctx, 'run could not be kept either', err);
  }
};

const lose = async (deps: ChatDeps, finished: FinishedRun, ctx: Pick<RunContext, 'log' | 'remainingTimeMs'>, what: string, err: unknown): Promise<Storage> => {
  ctx.log.error(`${what}: its reply is lost`, err as Error);
  recordRunLost();
  const db = deps.runtime.db.until(keepBy(ctx.remainingTimeMs));
  await markRunFailed({ db, tables: deps.runtime.tables }, finished.run).catch(() => {});
  return 'lost';
};
