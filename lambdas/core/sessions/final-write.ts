import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { batchWriteAll, type WriteRequest } from '../db/batch-write.ts';
import { isTransactionConditionFailed } from '../db/dynamodb-error.ts';
import type { Runtime, Tables } from '../runtime.ts';
import { HEADER_SK, createdSk, partSk, runSk, sessionPk, userPk } from './keys.ts';
import { finishRunStatusItem } from './run-status.ts';
import { sessionTitle } from './title.ts';
import { SUMMED_METRICS, type RunRecord } from './types.ts';
import { writeUsageAlone } from '../usage/final-write.ts';
import { ledgerWriteItems } from '../usage/ledger-write.ts';

type Deps = Pick<Runtime, 'db' | 'tables'>;
type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Text kept inside the run item up to this many UTF-8 bytes; beyond, it goes to parts. */
const INLINE_TEXT_BYTES = 300_000;
/** UTF-16 units per part: at most 3 bytes each in UTF-8, well under the 400 KB item cap. */
const PART_UNITS = 100_000;
export const SESSION_TYPE = 'agent';

/** A run as it ended, and all its final write is built from (the durable fallback keeps exactly this). */
export interface FinishedRun {
  run: RunRecord;
  /** The run continued a session: stored only while that session still exists. */
  followUp: boolean;
}

/** The run's text fields, stored inline or, when large, as overflow parts. */
export interface RunText {
  userMessage: string;
  content: string;
  reasoning: string;
}

/** Splits text into parts without cutting a surrogate pair in two. */
export const splitText = (text: string, units = PART_UNITS): string[] => {
  const parts: string[] = [];
  let at = 0;
  while (at < text.length) {
    let end = Math.min(at + units, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    parts.push(text.slice(at, end));
    at = end;
  }
  return parts;
};

/** The writes that store a finished run: overflow parts first, then one transaction. */
export interface FinalWrite {
  /** Puts of the overflow parts of a very large reply (readers ignore parts no run points at). */
  parts: WriteRequest[];
  /** Run item, session header and run-status move: all applied or none. */
  items: TransactItem[];
}

/** The run item's key: where a reader (and `isStoredAsWritten`) finds the run. */
const runKey = (run: RunRecord) => ({ pk: sessionPk(run.sessionId), sk: runSk(run.startedAt, run.runId) });

/**
 * The one builder of the final write, from the finished run alone (no clock, no random
 * ids, no reads), so that the durable fallback's drain replays exactly the transaction
 * the stream would have written. The run-status item's move (RUNNING or CANCELLED to the
 * run's terminal state, for its owner) is the transaction's idempotency key: once
 * applied, any replay fails it and applies nothing. A module that must change with the
 * run's store (a usage record, counters) adds its items here, built from `finished` too
 * (see /work/notes/final-write.md). A follow-up is stored only while its session still
 * exists: one deleted meanwhile is not brought back by a run that started before the
 * delete saw it.
 */
export const buildFinalWrite = (tables: Tables, { run, followUp }: FinishedRun): FinalWrite => {
  const { pk, sk } = runKey(run);
  const text: RunText = { userMessage: run.userMessage, content: run.content, reasoning: run.reasoning };
  const serialized = JSON.stringify(text);
  const chunks = Buffer.byteLength(serialized) > INLINE_TEXT_BYTES ? splitText(serialized) : [];
  const { userMessage: _m, content: _c, reasoning: _r, usage, ...rest } = run;
  const runItem = { pk, sk, type: 'run', ...rest, ...(chunks.length ? { parts: chunks.length } : text) };
  const sums = SUMMED_METRICS.map((k, i) => ({ name: `sum_${k}`, value: `:m${i}`, amount: run.metrics?.[k] ?? 0 }));
  return {
    parts: chunks.map((chunk, index) => ({ PutRequest: { Item: { pk, sk: partSk(sk, index), runId: run.runId, chunk } } })),
    items: [
      { Put: { TableName: tables.sessions, Item: runItem } },
      {
        Update: {
          TableName: tables.sessions,
          Key: { pk, sk: HEADER_SK },
          UpdateExpression:
            'SET sessionId = :sid, userId = if_not_exists(userId, :uid), title = if_not_exists(title, :title), ' +
            'sessionType = if_not_exists(sessionType, :type), createdAt = if_not_exists(createdAt, :started), ' +
            'updatedAt = :now, model = :model, ' +
            // Index keys are set once, so a later turn updates the index item in place.
            'userPk = if_not_exists(userPk, :upk), createdSk = if_not_exists(createdSk, :csk) ' +
            `ADD runCount :one, ${sums.map((s) => `${s.name} ${s.value}`).join(', ')}`,
          ConditionExpression: followUp ? 'userId = :uid' : 'attribute_not_exists(pk) OR userId = :uid',
          ExpressionAttributeValues: {
            ':sid': run.sessionId,
            ':uid': run.userId,
            ':title': sessionTitle(run.userMessage),
            ':type': SESSION_TYPE,
            ':started': run.startedAt,
            ':now': run.finishedAt,
            ':upk': userPk(run.userId),
            ':csk': createdSk(run.startedAt, run.sessionId),
            ':model': run.model,
            ':one': 1,
            ...Object.fromEntries(sums.map((s) => [s.value, s.amount])),
          },
        },
      },
      finishRunStatusItem(tables, run),
      // The run's usage: its ledger entry (itself put on condition it is absent) and counters.
      ...(usage ? ledgerWriteItems(tables.sessions, usage) : []),
    ],
  };
};

/**
 * Whether the run is stored as this write would store it: its item is there with the
 * same outcome and end time (a strongly consistent read). How a failed condition is told
 * apart from a store that landed while its answer was lost, or by an earlier replay.
 */
export const isStoredAsWritten = async (deps: Deps, run: RunRecord): Promise<boolean> => {
  const out = await deps.db.get({
    TableName: deps.tables.sessions,
    Key: runKey(run),
    ProjectionExpression: 'runId, #s, finishedAt',
    ExpressionAttributeNames: { '#s': 'status' },
    ConsistentRead: true,
  });
  const item = out.Item;
  return item?.runId === run.runId && item.status === run.status && item.finishedAt === run.finishedAt;
};

/**
 * Stored: now, or earlier (a write whose answer was lost, a replay). Refused: not storable,
 * for good (its session was deleted meanwhile); its usage is written alone then.
 */
export type StoreResult = 'stored' | 'refused';

/**
 * Stores a finished run with the final write, within `deps.db`'s time budget (`until`):
 * DynamoDB's passing failures are retried by the wire until then, and a condition that
 * fails is resolved by reading the run back. Throws when DynamoDB did not serve the
 * writes in time (db/dynamodb-error.ts `isStorageUnavailable`), or on a refusal that is
 * not about the run (a defect): then the run is neither known stored nor refused.
 */
export const storeFinishedRun = async (deps: Deps, finished: FinishedRun): Promise<StoreResult> => {
  const write = buildFinalWrite(deps.tables, finished);
  if (write.parts.length) await batchWriteAll(deps.db, deps.tables.sessions, write.parts);
  try {
    await deps.db.transactWrite({ TransactItems: write.items });
    return 'stored';
  } catch (err) {
    if (!isTransactionConditionFailed(err)) throw err;
    if (await isStoredAsWritten(deps, finished.run)) return 'stored';
    // The session went, its content with it; what the run used still counts.
    if (finished.run.usage) await writeUsageAlone(deps.db, ledgerWriteItems(deps.tables.sessions, finished.run.usage));
    return 'refused';
  }
};
