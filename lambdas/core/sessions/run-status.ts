import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { WriteRequest } from '../db/batch-write.ts';
import { type DynamoDbError, isConditionFailed, isTransactionConditionFailed } from '../db/dynamodb-error.ts';
import { isServiceError, ServiceError } from '../errors/service-error.ts';
import type { Runtime, Tables } from '../runtime.ts';
import { activeRunSk, sessionPk } from './keys.ts';
import type { RunOutcome } from './types.ts';
import { REFUSAL_MSG } from '../wire/messages.ts';

/**
 * The run-status record: one item per run, in its own partition so cancel finds it by run
 * id alone, which says whether the run is in progress and how it ended. Every write of
 * it is here, as in Powertools' idempotency persistence layer: its states, the moves
 * between them (each a conditional write, so it holds whichever instance runs the
 * stream), its keys and attribute names. A RUNNING record carries its deadline, the end
 * of the invocation that runs it: past it nothing runs the run any more, and readers
 * take it as FAILED (`effectiveState`) whether or not its store is still on its way
 * through the durable fallback (chat/6-finish/keep-run.ts).
 */
export const RunStatus = {
  RUNNING: 'RUNNING',
  CANCELLED: 'CANCELLED',
  COMPLETED: 'COMPLETED',
  FAILED: 'FAILED',
} as const;
export type RunState = (typeof RunStatus)[keyof typeof RunStatus];

/** The state a stored run leaves its record in. */
const TERMINAL_STATE: Record<RunOutcome, RunState> = {
  completed: RunStatus.COMPLETED,
  cancelled: RunStatus.CANCELLED,
  failed: RunStatus.FAILED,
};

/**
 * Every allowed move, the states it may start from (`create` from no item at all).
 * `finish` also starts from CANCELLED: a run cancelled mid-stream is stored as it ended.
 * No move leaves COMPLETED or FAILED.
 */
export const TRANSITIONS = {
  create: { from: [], to: [RunStatus.RUNNING] },
  cancel: { from: [RunStatus.RUNNING], to: [RunStatus.CANCELLED] },
  fail: { from: [RunStatus.RUNNING], to: [RunStatus.FAILED] },
  finish: { from: [RunStatus.RUNNING, RunStatus.CANCELLED], to: Object.values(TERMINAL_STATE) },
} as const satisfies Record<string, { from: readonly RunState[]; to: readonly RunState[] }>;
type Move = keyof typeof TRANSITIONS;

/** Attribute names of the record. */
export const RUN_STATUS_ATTRIBUTES = {
  status: 'status',
  owner: 'userId',
  expiry: 'expiresAt',
  cancelledAt: 'cancelledAt',
  finishedAt: 'finishedAt',
  deadline: 'deadline',
} as const;
const A = RUN_STATUS_ATTRIBUTES;

export const runStatusKey = (runId: string) => ({ pk: `RUNSTATUS#${runId}`, sk: 'STATUS' });

type Deps = Pick<Runtime, 'db' | 'tables'>;
type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface RunStatusItem {
  runId: string;
  sessionId: string;
  userId: string;
  /** Epoch ms: when the invocation running it ends at the latest (absent: none known, as in records written before deadlines). */
  deadline?: number;
}

const NAMES = { '#s': A.status, '#owner': A.owner };

/**
 * A conditional update that makes `move` to `to` for the run's owner; `at` names the
 * attribute that records when. Its condition is the move's `from` states, from the table.
 */
const moveUpdate = (table: string, move: Move, run: { runId: string; userId: string }, to: RunState, at: { name: string; value: number }) => {
  const from: readonly RunState[] = TRANSITIONS[move].from;
  const fromValues = Object.fromEntries(from.map((state, i) => [`:from${i}`, state]));
  return {
    TableName: table,
    Key: runStatusKey(run.runId),
    UpdateExpression: 'SET #s = :to, #at = :at',
    ConditionExpression: `#owner = :uid AND #s IN (${Object.keys(fromValues).join(', ')})`,
    ExpressionAttributeNames: { ...NAMES, '#at': at.name },
    ExpressionAttributeValues: { ':to': to, ':at': at.value, ':uid': run.userId, ...fromValues },
  };
};

const readStatusItem = async (deps: Deps, runId: string) =>
  (await deps.db.get({ TableName: deps.tables.sessions, Key: runStatusKey(runId), ConsistentRead: true })).Item;

/**
 * Marks a run RUNNING before the model is called, and in the same transaction leaves a
 * marker in the session's partition: the record can only be found by run id, and
 * deleting the session must find its runs in progress to stop them. The TTL removes both.
 * A record already there for this (fresh) run id is this call's own earlier attempt whose
 * answer was lost: read back, it counts as created.
 */
export const createRunStatus = async (deps: Deps, item: RunStatusItem, ttlSeconds: number): Promise<void> => {
  const expiresAt = Math.floor(Date.now() / 1000) + ttlSeconds;
  try {
    await deps.db.transactWrite({
      TransactItems: [
        {
          Put: {
            TableName: deps.tables.sessions,
            Item: { ...runStatusKey(item.runId), ...item, [A.status]: TRANSITIONS.create.to[0], [A.expiry]: expiresAt },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Put: {
            TableName: deps.tables.sessions,
            Item: { pk: sessionPk(item.sessionId), sk: activeRunSk(item.runId), runId: item.runId, userId: item.userId, [A.expiry]: expiresAt },
          },
        },
      ],
    });
  } catch (err) {
    if (!isTransactionConditionFailed(err)) throw err;
    const stored = await readStatusItem(deps, item.runId);
    if (stored?.[A.owner] !== item.userId || stored.sessionId !== item.sessionId) throw err;
  }
};

/**
 * The state a reader acts on: the stored one, except that a RUNNING run past its
 * deadline is FAILED, as no invocation runs it any more.
 */
export const effectiveState = (item: Record<string, unknown>, now = Date.now()): RunState => {
  const state = item[A.status] as RunState;
  const deadline = item[A.deadline] as number | undefined;
  return state === RunStatus.RUNNING && deadline !== undefined && deadline <= now ? RunStatus.FAILED : state;
};

/** The run's state as readers take it (`effectiveState`); undefined when it has no record (never created, expired, or its session deleted). */
export const readRunState = async (deps: Deps, runId: string): Promise<RunState | undefined> => {
  const out = await deps.db.get({
    TableName: deps.tables.sessions,
    Key: runStatusKey(runId),
    ProjectionExpression: '#s, #dl',
    ExpressionAttributeNames: { '#s': A.status, '#dl': A.deadline },
    ConsistentRead: true,
  });
  return out.Item ? effectiveState(out.Item) : undefined;
};

/** Whether a stream must stop: cancelled, or its record gone with a deleted session. */
export const isRunStopped = (state: RunState | undefined): boolean => state === RunStatus.CANCELLED || state === undefined;

/**
 * RUNNING → CANCELLED, only for the run's owner and only before the run's deadline:
 * `无权取消该运行` for anyone else, `取消运行失败` once it ended. A refusal that finds the
 * record cancelled at this very call's time is its own earlier attempt, whose answer was
 * lost: the cancel stands.
 */
export const cancelRun = async (deps: Deps, runId: string, userId: string, now = Date.now()): Promise<void> => {
  const move = moveUpdate(deps.tables.sessions, 'cancel', { runId, userId }, RunStatus.CANCELLED, { name: A.cancelledAt, value: now });
  try {
    await deps.db.update({
      ...move,
      ConditionExpression: `${move.ConditionExpression} AND (attribute_not_exists(#dl) OR #dl > :at)`,
      ExpressionAttributeNames: { ...move.ExpressionAttributeNames, '#dl': A.deadline },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
    const old = (err as DynamoDbError).Item;
    if (!old || old[A.owner] !== userId) throw ServiceError.service(REFUSAL_MSG.cancelForbidden);
    if (old[A.status] === RunStatus.CANCELLED && old[A.cancelledAt] === now) return;
    throw ServiceError.service(REFUSAL_MSG.cancelFailed);
  }
};

/**
 * Whether a cancelled run has been stored as it ended (its record moved on with
 * `finishedAt`, or went with its session), read every `intervalMs` until `by` (epoch ms).
 * A read that fails counts as not yet.
 */
export const waitUntilStored = async (deps: Deps, runId: string, by: number, intervalMs: number): Promise<boolean> => {
  for (;;) {
    const item = await readStatusItem(deps, runId).then(
      (found) => found ?? {},
      () => undefined,
    );
    if (item && (item[A.finishedAt] !== undefined || !item[A.status])) return true;
    if (Date.now() + intervalMs >= by) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
};

/** Stops a run still in progress (its stream sees CANCELLED on its next poll); a finished or foreign one is left as it is. */
export const stopRun = (deps: Deps, runId: string, ownerId: string): Promise<void> =>
  cancelRun(deps, runId, ownerId).catch((err: unknown) => {
    if (!isServiceError(err)) throw err;
  });

/** RUNNING → FAILED: the last resort when the run could not be stored, so its status does not stay RUNNING. */
export const markRunFailed = async (deps: Deps, run: { runId: string; userId: string }): Promise<void> => {
  await deps.db.update(moveUpdate(deps.tables.sessions, 'fail', run, RunStatus.FAILED, { name: A.finishedAt, value: Date.now() }));
};

/**
 * The move to the state a stored run ended in, as an item of the transaction that stores
 * the run (sessions/final-write.ts): run, session header and status change together or
 * not at all. Conditional on the record, so a run whose session was deleted meanwhile
 * (its record with it) is not stored, and a run already stored is not stored again.
 */
export const finishRunStatusItem = (tables: Tables, run: { runId: string; userId: string; status: RunOutcome; finishedAt: number }): TransactItem => ({
  Update: moveUpdate(tables.sessions, 'finish', run, TERMINAL_STATE[run.status], { name: A.finishedAt, value: run.finishedAt }),
});

/** The batch requests that delete the records of a deleted session's runs. */
export const deleteRunStatusRequests = (runIds: Iterable<string>): WriteRequest[] =>
  [...runIds].map((runId) => ({ DeleteRequest: { Key: runStatusKey(runId) } }));
