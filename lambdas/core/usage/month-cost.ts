import { recordMonthToDateCost } from '../observability/metrics.ts';
import type { Runtime } from '../runtime.ts';
import { figuresOfItem } from './figures.ts';
import { ALL_ID, counterKey } from './keys.ts';
import { periodOf } from './periods.ts';

/**
 * This month's cost of every run, by currency, as a metric: what the monthly cost alarm
 * compares (CloudWatch keeps no month-long sums, so the ledger's own counter of everything
 * is read, one eventually consistent GetItem after a run is stored).
 */
export const reportMonthCost = async (deps: Pick<Runtime, 'db' | 'tables'>, at: number): Promise<void> => {
  const out = await deps.db.get({ TableName: deps.tables.sessions, Key: counterKey('all', ALL_ID, 'month', periodOf('month', at)) });
  for (const [currency, micros] of Object.entries(figuresOfItem(out.Item).costMicros)) recordMonthToDateCost(currency, micros);
};
