import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { batchWriteAll } from '../db/batch-write.ts';
import { isConditionFailed } from '../db/dynamodb-error.ts';
import { ServiceError } from '../errors/service-error.ts';
import type { Runtime } from '../runtime.ts';
import { HEADER_SK, PART_PREFIX, RUN_PREFIX, createdSk, partSk, runSk, sessionPk, userPk } from './keys.ts';
import { finishRunStatusItem } from './run-status.ts';
import { sessionTitle } from './title.ts';
import { SUMMED_METRICS, type RunRecord, type SessionHeader } from './types.ts';
import { REFUSAL_MSG } from '../wire/messages.ts';
import { writeFinal } from '../usage/final-write.ts';
import { ledgerWriteItems } from '../usage/ledger-write.ts';

export interface PersistOptions {
  /** The run continued a session, which must still exist. */
  followUp?: boolean;
  /** Epoch ms past which no call runs. */
  deadline?: number;
}

type Deps = Pick<Runtime, 'db' | 'tables'>;

/** Text kept inside the run item up to this many UTF-8 bytes; beyond, it goes to parts. */
const INLINE_TEXT_BYTES = 300_000;
/** UTF-16 units per part: at most 3 bytes each in UTF-8, well under the 400 KB item cap. */
const PART_UNITS = 100_000;
const SESSION_TYPE = 'agent';

interface RunText {
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

/**
 * Stores a finished run, whatever its outcome, in a fixed number of writes however
 * long the session is: overflow parts first (only for very large replies; readers
 * ignore parts no run points at), then one transaction of run item, session header
 * and run-status item, so a reader never sees one without the others. A run that
 * continued a session (`followUp`) is stored only while that session still exists: one
 * deleted meanwhile is not brought back by a run that started before the delete saw it.
 * The run's usage (`run.usage`) rides in the same transaction as its ledger entry and
 * counters (usage/final-write.ts says what a refusal then means). No call runs past
 * `deadline` (epoch ms).
 */
export const persistRun = async (deps: Deps, run: RunRecord, { followUp = false, deadline = Number.POSITIVE_INFINITY }: PersistOptions = {}): Promise<void> => {
  const db = deps.db.until(deadline);
  const sk = runSk(run.startedAt, run.runId);
  const pk = sessionPk(run.sessionId);
  const text: RunText = { userMessage: run.userMessage, content: run.content, reasoning: run.reasoning };
  const serialized = JSON.stringify(text);
  const parts = Buffer.byteLength(serialized) > INLINE_TEXT_BYTES ? splitText(serialized) : [];
  if (parts.length) {
    await batchWriteAll(
      db,
      deps.tables.sessions,
      parts.map((chunk, index) => ({ PutRequest: { Item: { pk, sk: partSk(sk, index), runId: run.runId, chunk } } })),
      deadline,
    );
  }
  const { userMessage: _m, content: _c, reasoning: _r, usage, ...rest } = run;
  const runItem = { pk, sk, type: 'run', ...rest, ...(parts.length ? { parts: parts.length } : text) };

  const sums = SUMMED_METRICS.map((k, i) => ({ name: `sum_${k}`, value: `:m${i}`, amount: run.metrics?.[k] ?? 0 }));
  const now = run.finishedAt;
  await writeFinal(
    db,
    [
      { Put: { TableName: deps.tables.sessions, Item: runItem } },
      {
        Update: {
          TableName: deps.tables.sessions,
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
            ':now': now,
            ':upk': userPk(run.userId),
            ':csk': createdSk(run.startedAt, run.sessionId),
            ':model': run.model,
            ':one': 1,
            ...Object.fromEntries(sums.map((s) => [s.value, s.amount])),
          },
        },
      },
      finishRunStatusItem(deps, run),
    ],
    usage ? ledgerWriteItems(deps.tables.sessions, usage) : [],
  );
};

/** Every item a query matches, page by page, until `stop` says enough. */
export const queryAll = async (deps: Deps, input: QueryCommandInput, stop?: (items: Record<string, unknown>[]) => boolean) => {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const out = await deps.db.query({ ...input, ExclusiveStartKey });
    items.push(...(out.Items ?? []));
    ExclusiveStartKey = out.LastEvaluatedKey;
  } while (ExclusiveStartKey && !stop?.(items));
  return items;
};

/** Puts a run's text back together from its item or its overflow parts. */
const hydrateRun = async (deps: Deps, item: Record<string, unknown>): Promise<RunRecord> => {
  const { pk, sk, type: _t, parts, ...rest } = item as Record<string, unknown> & { pk: string; sk: string; parts?: number };
  if (!parts) return rest as unknown as RunRecord;
  const chunks = await queryAll(deps, {
    TableName: deps.tables.sessions,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': pk, ':prefix': `${PART_PREFIX}${sk.slice(RUN_PREFIX.length)}#` },
  });
  const text = JSON.parse(chunks.map((c) => c.chunk as string).join('')) as RunText;
  return { ...(rest as unknown as RunRecord), ...text };
};

/** Every run of a session, oldest first. */
export const loadRuns = async (deps: Deps, sessionId: string): Promise<RunRecord[]> => {
  const items = await queryAll(deps, {
    TableName: deps.tables.sessions,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': sessionPk(sessionId), ':prefix': RUN_PREFIX },
  });
  return Promise.all(items.map((item) => hydrateRun(deps, item)));
};

/** The last `count` completed runs of a session, oldest first: the history sent to the model. */
export const loadHistory = async (deps: Deps, sessionId: string, count: number): Promise<RunRecord[]> => {
  const items = await queryAll(
    deps,
    {
      TableName: deps.tables.sessions,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: '#s = :completed',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':pk': sessionPk(sessionId), ':prefix': RUN_PREFIX, ':completed': 'completed' },
      ScanIndexForward: false,
      Limit: count + 5,
    },
    (found) => found.length >= count,
  );
  const runs = await Promise.all(items.slice(0, count).map((item) => hydrateRun(deps, item)));
  return runs.reverse();
};

export const getSessionHeader = async (deps: Deps, sessionId: string): Promise<SessionHeader | undefined> => {
  const out = await deps.db.get({ TableName: deps.tables.sessions, Key: { pk: sessionPk(sessionId), sk: HEADER_SK } });
  return out.Item ? headerFromItem(out.Item) : undefined;
};

export const headerFromItem = (item: Record<string, unknown>): SessionHeader => ({
  sessionId: item.sessionId as string,
  userId: item.userId as string,
  title: item.title as string,
  sessionType: item.sessionType as string,
  createdAt: item.createdAt as number,
  updatedAt: item.updatedAt as number,
  runCount: item.runCount as number,
  metrics: Object.fromEntries(SUMMED_METRICS.map((k) => [k, (item[`sum_${k}`] as number | undefined) ?? 0])),
  model: item.model as SessionHeader['model'],
});

/**
 * The session a run continues or starts under a client-made id (RuoYi's 新建对话 makes the
 * id up), in one conditional write, so it needs no read before it: an existing header must
 * be the caller's and stays as it was; a missing one is created for the caller, with no
 * run yet and outside the `byUser` index until its first run is stored. Two callers
 * racing for a new id cannot both pass the condition: the loser gets `无权访问该会话`.
 * `created` says whether this call made the header (a refused request takes it back).
 */
export const claimSession = async (deps: Deps, sessionId: string, userId: string, message: string, now = Date.now()): Promise<{ created: boolean }> => {
  try {
    const out = await deps.db.update({
      TableName: deps.tables.sessions,
      Key: { pk: sessionPk(sessionId), sk: HEADER_SK },
      UpdateExpression:
        'SET sessionId = if_not_exists(sessionId, :sid), userId = if_not_exists(userId, :uid), ' +
        'title = if_not_exists(title, :title), sessionType = if_not_exists(sessionType, :type), ' +
        'createdAt = if_not_exists(createdAt, :now), updatedAt = if_not_exists(updatedAt, :now), ' +
        'runCount = if_not_exists(runCount, :zero)',
      ConditionExpression: 'attribute_not_exists(pk) OR userId = :uid',
      ExpressionAttributeValues: {
        ':sid': sessionId,
        ':uid': userId,
        ':title': sessionTitle(message),
        ':type': SESSION_TYPE,
        ':now': now,
        ':zero': 0,
      },
      // Only whether an item was there is read; the header is a few hundred bytes.
      ReturnValues: 'ALL_OLD',
    });
    return { created: !out.Attributes };
  } catch (err) {
    if (isConditionFailed(err)) throw ServiceError.service(REFUSAL_MSG.notYourSession);
    throw err;
  }
};

/** Takes back a header `claimSession` created for a request then refused, unless a run was stored in it since. */
export const releaseClaimedSession = async (deps: Deps, sessionId: string, userId: string): Promise<void> => {
  try {
    await deps.db.delete({
      TableName: deps.tables.sessions,
      Key: { pk: sessionPk(sessionId), sk: HEADER_SK },
      ConditionExpression: 'userId = :uid AND runCount = :zero',
      ExpressionAttributeValues: { ':uid': userId, ':zero': 0 },
    });
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
  }
};

/** The session, if it exists and belongs to the caller; the contract's messages otherwise. */
export const requireOwnedSession = async (deps: Deps, sessionId: string, userId: string): Promise<SessionHeader> => {
  const header = await getSessionHeader(deps, sessionId);
  if (!header) throw ServiceError.service(REFUSAL_MSG.sessionMissing);
  if (header.userId !== userId) throw ServiceError.service(REFUSAL_MSG.notYourSession);
  return header;
};
