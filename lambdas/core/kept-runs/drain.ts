import type { Runtime } from '../runtime.ts';
import { type StoreResult, storeFinishedRun } from '../sessions/final-write.ts';
import { decodeKeptRun, KEPT_RUN_PREFIX } from './kept-run.ts';
import type { KeptRunStore } from './kept-run-store.ts';

export interface DrainDeps extends Pick<Runtime, 'db' | 'tables'> {
  keptRuns: KeptRunStore;
}

/** What draining one kept run did: stored it (or found it stored), found it refused for good, or found nothing (drained before). */
export type DrainResult = StoreResult | 'gone';

/**
 * Stores one kept run with the same final write the stream would have made
 * (sessions/final-write.ts), then lets go of it. Idempotent, as the queue delivers at
 * least once: a run stored before is found stored, a run drained before is gone. A run
 * refused for good (its session deleted meanwhile) is let go too. Throws while DynamoDB
 * does not serve the write by `deadline` (epoch ms): the queue delivers it again later.
 */
export const drainKeptRun = async (deps: DrainDeps, key: string, deadline: number): Promise<DrainResult> => {
  const text = await deps.keptRuns.get(key);
  if (text === undefined) return 'gone';
  const result = await storeFinishedRun({ db: deps.db.until(deadline), tables: deps.tables }, decodeKeptRun(text));
  await deps.keptRuns.delete(key);
  return result;
};

interface S3EventRecord {
  eventName?: string;
  s3?: { object?: { key?: string } };
}

/**
 * The kept runs an S3 event notification names (its keys are URL-encoded, spaces as
 * `+`); none for S3's test event, sent once when the notification is set up.
 */
export const keptRunsOfNotification = (body: string): string[] => {
  const records = ((JSON.parse(body) as { Records?: S3EventRecord[] }).Records ?? []).filter((r) => r.eventName?.startsWith('ObjectCreated:'));
  return records
    .map((r) => decodeURIComponent((r.s3?.object?.key ?? '').replace(/\+/g, ' ')))
    .filter((key) => key.startsWith(KEPT_RUN_PREFIX) && key.endsWith('.json'));
};
