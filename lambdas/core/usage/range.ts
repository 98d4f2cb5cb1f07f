import { ServiceError } from '../errors/service-error.ts';
import { periodOf } from './periods.ts';

export interface DayRange {
  first: string;
  last: string;
}

const DAY_MS = 86_400_000;
/** Calendar arithmetic on day texts, in UTC where days have no seams; NaN for a day that does not exist. */
const dayStart = (day: string) => {
  const at = Date.parse(`${day}T00:00:00Z`);
  return !Number.isNaN(at) && new Date(at).toISOString().startsWith(day) ? at : Number.NaN;
};
const daysBefore = (day: string, count: number) => new Date(dayStart(day) - count * DAY_MS).toISOString().slice(0, 10);

/**
 * The days a query covers: `beginTime` to `endTime`, both included; missing ends default to
 * the last `defaultDays` days up to today (`'month'`: the current month so far). At most
 * `maxDays`, so what one request reads stays bounded.
 */
export const dayRange = (
  query: { beginTime?: string; endTime?: string },
  defaults: { days: number | 'month'; maxDays: number },
  now = Date.now(),
): DayRange => {
  const today = periodOf('day', now);
  const last = query.endTime ?? today;
  const first = query.beginTime ?? (defaults.days === 'month' ? `${last.slice(0, 7)}-01` : daysBefore(last, defaults.days - 1));
  const [from, to] = [dayStart(first), dayStart(last)];
  if (Number.isNaN(from) || Number.isNaN(to)) throw ServiceError.invalid('beginTime: 不是有效日期');
  if (from > to) throw ServiceError.invalid('beginTime: 不能晚于 endTime');
  if ((to - from) / DAY_MS + 1 > defaults.maxDays) throw ServiceError.invalid(`时间范围不能超过${defaults.maxDays}天`);
  return { first, last };
};
