import type { Identity } from '../auth/identity.ts';
import { COST_PREFIX, HELD_COST_PREFIX, HELD_TOKENS } from '../usage/figures.ts';
import { counterKey, type ItemKey } from '../usage/keys.ts';
import { departmentPath } from '../usage/ledger-entry.ts';
import { periodEnd, periodOf } from '../usage/periods.ts';
import type { Quota } from './schema.ts';

/**
 * Whether an enabled quota covers what `identity` sends: its user, one of its roles, its
 * department or one above it, or the model of the send (every model's, when `modelId` is
 * not given: a user's own view lists them all).
 */
export const quotaApplies = (quota: Quota, identity: Identity, modelId?: number): boolean => {
  if (quota.status !== '0') return false;
  switch (quota.subjectType) {
    case 'user':
      return quota.subjectId === identity.userId;
    case 'role':
      return identity.roles.includes(quota.subjectId);
    case 'dept':
      return departmentPath(identity).path.includes(quota.subjectId);
    case 'model':
      return modelId === undefined || quota.subjectId === String(modelId);
    default:
      return quota.subjectType satisfies never;
  }
};

export interface QuotaPeriod {
  /** The counter the quota reads in the period `at` falls in: the user's for user and role quotas. */
  key: ItemKey;
  period: string;
  /** When the period ends (a wire time). */
  resetsAt: string;
}

export const quotaPeriod = (quota: Quota, identity: Identity, at: number): QuotaPeriod => {
  const period = periodOf(quota.period, at);
  const key =
    quota.subjectType === 'user' || quota.subjectType === 'role'
      ? counterKey('user', identity.userId, quota.period, period)
      : counterKey(quota.subjectType, quota.subjectId, quota.period, period);
  return { key, period, resetsAt: periodEnd(quota.period, period) };
};

/** The counter attribute a quota's use is read from: tokens, or cost in its currency. */
export const usedAttribute = (quota: Quota): string => (quota.metric === 'tokens' ? 'totalTokens' : `${COST_PREFIX}${quota.currency}`);

/** The attribute a hard quota's sends reserve on: use plus what runs in flight hold. */
export const heldAttribute = (quota: Quota): string => (quota.metric === 'tokens' ? HELD_TOKENS : `${HELD_COST_PREFIX}${quota.currency}`);

export const amountOf = (item: Record<string, unknown> | undefined, attribute: string): number => Number(item?.[attribute] ?? 0);
