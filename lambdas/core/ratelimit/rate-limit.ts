import { isConditionFailed } from '../db/dynamodb-error.ts';
import { ServiceError } from '../errors/service-error.ts';
import { recordRateLimitHit } from '../observability/metrics.ts';
import type { Runtime } from '../runtime.ts';

type Deps = Pick<Runtime, 'db' | 'tables'>;

export type LimitedAction = 'send' | 'cancel' | 'upload';

const WINDOW_MS = 60_000;

export interface WindowAllowance {
  /** The counter's partition key, one per user and purpose. */
  key: string;
  windowMs: number;
  /** What this request takes from the window, and what a window holds in all. */
  amount: number;
  limit: number;
  now: number;
}

/**
 * Takes `amount` from a fixed window's allowance, counted in DynamoDB with a conditional
 * ADD so the bound holds across every Lambda instance; false (nothing taken) when it
 * would go past `limit`. The item expires by TTL one window after its own.
 */
export const takeFromWindow = async (deps: Deps, { key, windowMs, amount, limit, now }: WindowAllowance): Promise<boolean> => {
  if (amount > limit) return false;
  const windowStart = Math.floor(now / windowMs) * windowMs;
  try {
    await deps.db.update({
      TableName: deps.tables.sessions,
      Key: { pk: key, sk: String(windowStart) },
      UpdateExpression: 'ADD hits :amount SET expiresAt = :exp',
      ConditionExpression: 'attribute_not_exists(hits) OR hits <= :room',
      ExpressionAttributeValues: { ':amount': amount, ':room': limit - amount, ':exp': Math.floor((windowStart + 2 * windowMs) / 1000) },
    });
    return true;
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
    return false;
  }
};

/** A one-minute window per user and action; past `perMinute`, code 429. */
export const enforceRateLimit = async (deps: Deps, userId: string, action: LimitedAction, perMinute: number, now = Date.now()): Promise<void> => {
  if (await takeFromWindow(deps, { key: `RATE#${userId}#${action}`, windowMs: WINDOW_MS, amount: 1, limit: perMinute, now })) return;
  recordRateLimitHit(action);
  throw ServiceError.tooManyRequests();
};
