import { batchWriteAll, type WriteRequest } from '../db/batch-write.ts';
import { isConditionFailed } from '../db/dynamodb-error.ts';
import { ServiceError } from '../errors/service-error.ts';
import { logger } from '../observability/logger.ts';
import type { Runtime } from '../runtime.ts';
import { ACTIVE_PREFIX, HEADER_SK, sessionPk } from './keys.ts';
import { deleteRunStatusRequests, stopRun } from './run-status.ts';
import { getSessionHeader, queryAll, requireOwnedSession } from './run-store.ts';
import { REFUSAL_MSG } from '../wire/messages.ts';

type Deps = Pick<Runtime, 'db' | 'tables'>;

/** Rounds tried when runs keep finishing into the session while it is being deleted. */
const MAX_ROUNDS = 3;

interface PartitionItem {
  pk: string;
  sk: string;
  runId?: string;
}

/** Deletes the header only if no run was stored since `runCount` was read; false when one was. */
const deleteHeaderIfUnchanged = async (deps: Deps, sessionId: string, runCount: number): Promise<boolean> => {
  try {
    await deps.db.delete({
      TableName: deps.tables.sessions,
      Key: { pk: sessionPk(sessionId), sk: HEADER_SK },
      ConditionExpression: 'runCount = :seen',
      ExpressionAttributeValues: { ':seen': runCount },
    });
    return true;
  } catch (err) {
    if (isConditionFailed(err)) return false;
    throw err;
  }
};

/**
 * One round: stop the runs in progress, delete every item of the partition but the header
 * and every run-status item of its runs, then the header, last, since it is what makes the
 * session visible and owned: a round cut short leaves a session the next delete finishes.
 * Deleting the status item of a run in progress also makes its final write fail (it is
 * conditional on that item), so a stream that ends after the delete cannot bring the
 * session back. False when a run was stored meanwhile and another round is needed.
 */
const deleteRound = async (deps: Deps, sessionId: string, ownerId: string, runCount: number): Promise<boolean> => {
  const items = (await queryAll(deps, {
    TableName: deps.tables.sessions,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': sessionPk(sessionId) },
    ProjectionExpression: 'pk, sk, runId',
    ConsistentRead: true,
  })) as unknown as PartitionItem[];
  const body = items.filter((item) => item.sk !== HEADER_SK);
  const active = body.filter((item) => item.sk.startsWith(ACTIVE_PREFIX) && item.runId);
  await Promise.all(active.map((item) => stopRun(deps, item.runId!, ownerId)));
  const runIds = new Set(body.flatMap((item) => (item.runId ? [item.runId] : [])));
  const requests: WriteRequest[] = [...deleteRunStatusRequests(runIds), ...body.map((item) => ({ DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } }))];
  await batchWriteAll(deps.db, deps.tables.sessions, requests);
  return deleteHeaderIfUnchanged(deps, sessionId, runCount);
};

/**
 * Deletes the caller's session: `会话不存在` / `无权访问该会话` as for reading it, and
 * `删除会话失败` (the cause logged) when it could not be finished.
 */
export const deleteSession = async (deps: Deps, sessionId: string, userId: string): Promise<void> => {
  let header = await requireOwnedSession(deps, sessionId, userId);
  try {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (await deleteRound(deps, sessionId, userId, header.runCount)) return;
      const current = await getSessionHeader(deps, sessionId);
      if (!current) return;
      header = current;
    }
    logger.warn('session delete: runs kept arriving', { sessionId });
  } catch (err) {
    logger.error('session delete failed', { sessionId, error: err as Error });
  }
  throw ServiceError.service(REFUSAL_MSG.deleteFailed);
};
