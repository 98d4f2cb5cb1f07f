import type * as z from 'zod/mini';
import type { Identity } from '../auth/identity.ts';
import { amountOf, quotaApplies, quotaPeriod, usedAttribute } from '../quotas/applicable.ts';
import { loadQuotas } from '../quotas/repository.ts';
import { toPublicQuota } from '../quotas/schema.ts';
import type { Runtime } from '../runtime.ts';
import type { myUsageSchema } from '../wire/responses.ts';
import { readKeys } from './counter-read.ts';
import { figuresOfItem } from './figures.ts';
import { counterKey, keyText } from './keys.ts';
import { type PeriodKind, periodEnd, periodOf } from './periods.ts';

type Deps = Pick<Runtime, 'db' | 'tables'>;
export type MyUsage = z.output<typeof myUsageSchema>;

/**
 * The caller's own use today and this month (their user counters), and every enabled quota
 * that applies to them (model quotas of every model) against what it counts now, in one
 * Query of the quotas and one BatchGetItem of the counters.
 */
export const myUsage = async (deps: Deps, identity: Identity, now = Date.now()): Promise<MyUsage> => {
  const quotas = (await loadQuotas(deps)).filter((quota) => quotaApplies(quota, identity));
  const own = (kind: PeriodKind) => {
    const period = periodOf(kind, now);
    return { period, key: counterKey('user', identity.userId, kind, period), resetsAt: periodEnd(kind, period) };
  };
  const [today, month] = [own('day'), own('month')];
  const standings = quotas.map((quota) => ({ quota, at: quotaPeriod(quota, identity, now) }));
  const found = await readKeys(deps, [today.key, month.key, ...standings.map((s) => s.at.key)]);
  const periodUsage = (p: typeof today) => ({ period: p.period, resetsAt: p.resetsAt, ...figuresOfItem(found.get(keyText(p.key))) });
  return {
    today: periodUsage(today),
    month: periodUsage(month),
    quotas: standings.map(({ quota, at }) => {
      const used = amountOf(found.get(keyText(at.key)), usedAttribute(quota));
      return { ...toPublicQuota(quota), used, remaining: Math.max(0, quota.limit - used), reached: used >= quota.limit, resetsAt: at.resetsAt };
    }),
  };
};
