import { isConditionFailed } from '../db/dynamodb-error.ts';
import { ServiceError } from '../errors/service-error.ts';
import { recordRateLimitHit } from '../observability/metrics.ts';
import type { Runtime } from '../runtime.ts';

type Deps = Pick<Runtime, 'db' | 'tables'>;

export type LimitedAction = 'send' | 'cancel';

const WINDOW_MS = 60_000;

/**
 * Fixed one-minute window per user and action, counted in DynamoDB with a conditional
 * ADD so the limit holds across every Lambda instance. The item expires by TTL.
 */
export const enforceRateLimit = async (
  deps: Deps,
  userId: string,
  action: LimitedAction,
  perMinute: number,
  now = Date.now(),
): Promise<void> => {
  const windowStart = Math.floor(now / WINDOW_MS) * WINDOW_MS;
  try {
    await deps.db.update({
      TableName: deps.tables.sessions,
      Key: { pk: `RATE#${userId}#${action}`, sk: String(windowStart) },
      UpdateExpression: 'ADD hits :one SET expiresAt = :exp',
      ConditionExpression: 'attribute_not_exists(hits) OR hits < :limit',
      ExpressionAttributeValues: { ':one': 1, ':limit': perMinute, ':exp': Math.floor((windowStart + 2 * WINDOW_MS) / 1000) },
    });
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
    recordRateLimitHit(action);
    throw ServiceError.tooManyRequests();
  }
};
