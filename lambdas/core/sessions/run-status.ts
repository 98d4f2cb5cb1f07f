import { type DynamoDbError, isConditionFailed } from '../db/dynamodb-error.ts';
import { ServiceError } from '../errors/service-error.ts';
import type { Runtime } from '../runtime.ts';
import { RUN_STATUS_SK, activeRunSk, runStatusPk, sessionPk } from './keys.ts';
import type { RunState } from './types.ts';

type Deps = Pick<Runtime, 'db' | 'tables'>;

export interface RunStatusItem {
  runId: string;
  sessionId: string;
  userId: string;
  status: RunState;
}

/**
 * Marks a run RUNNING before the model is called, and in the same transaction leaves a
 * marker in the session's partition: a run-status item can only be found by run id, and
 * deleting the session must find its runs in progress to stop them. The TTL removes both.
 */
export const createRunStatus = async (deps: Deps, item: Omit<RunStatusItem, 'status'>, ttlSeconds: number): Promise<void> => {
  const expiresAt = Math.floor(Date.now() / 1000) + ttlSeconds;
  await deps.db.transactWrite({
    TransactItems: [
      {
        Put: {
          TableName: deps.tables.sessions,
          Item: { pk: runStatusPk(item.runId), sk: RUN_STATUS_SK, ...item, status: 'RUNNING', expiresAt },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: deps.tables.sessions,
          Item: { pk: sessionPk(item.sessionId), sk: activeRunSk(item.runId), runId: item.runId, userId: item.userId, expiresAt },
        },
      },
    ],
  });
};

export const readRunState = async (deps: Deps, runId: string): Promise<RunState | undefined> => {
  const out = await deps.db.get({
    TableName: deps.tables.sessions,
    Key: { pk: runStatusPk(runId), sk: RUN_STATUS_SK },
    ProjectionExpression: '#s',
    ExpressionAttributeNames: { '#s': 'status' },
    ConsistentRead: true,
  });
  return out.Item?.status as RunState | undefined;
};

/**
 * RUNNING → CANCELLED, only for the run's owner: one conditional update, so it holds
 * whichever instance runs the stream.
 */
export const cancelRun = async (deps: Deps, runId: string, userId: string): Promise<void> => {
  try {
    await deps.db.update({
      TableName: deps.tables.sessions,
      Key: { pk: runStatusPk(runId), sk: RUN_STATUS_SK },
      UpdateExpression: 'SET #s = :cancelled, cancelledAt = :now',
      ConditionExpression: 'userId = :uid AND #s = :running',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':cancelled': 'CANCELLED', ':running': 'RUNNING', ':uid': userId, ':now': Date.now() },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
    const old = (err as DynamoDbError).Item;
    if (!old || old.userId !== userId) throw ServiceError.service('无权取消该运行');
    throw ServiceError.service('取消运行失败');
  }
};
