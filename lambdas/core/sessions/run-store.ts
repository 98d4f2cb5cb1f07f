import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { isConditionFailed } from '../db/dynamodb-error.ts';
import { ServiceError } from '../errors/service-error.ts';
import type { Runtime } from '../runtime.ts';
import { type RunText, SESSION_TYPE } from './final-write.ts';
import { HEADER_SK, PART_PREFIX, RUN_PREFIX, sessionPk } from './keys.ts';
import { sessionTitle } from './title.ts';
import { SUMMED_METRICS, type RunRecord, type SessionHeader } from './types.ts';
import { REFUSAL_MSG } from '../wire/messages.ts';

type Deps = Pick<Runtime, 'db' | 'tables'>;

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
