import type * as z from 'zod/mini';
import { inDataScope, seesAllData } from '../auth/data-scope.ts';
import type { Identity } from '../auth/identity.ts';
import { ServiceError } from '../errors/service-error.ts';
import type { Runtime } from '../runtime.ts';
import { REFUSAL_MSG } from '../wire/messages.ts';
import type { usageSummarySchema } from '../wire/responses.ts';
import { readKeys, readPartitions } from './counter-read.ts';
import { addFigures, emptyFigures, figuresOfItem, sumFigures, type UsageFigures } from './figures.ts';
import { counterKey, counterPartition, keyText, type SubjectKind } from './keys.ts';
import { coverRange, daysBetween } from './periods.ts';
import type { UsageSummaryQuery } from './query-schema.ts';
import { dayRange } from './range.ts';

type Deps = Pick<Runtime, 'db' | 'tables'>;
type Item = Record<string, unknown>;
export type UsageSummary = z.output<typeof usageSummarySchema>;

/** A summary spans at most a year, read as at most 12 month counters and 60 day counters per subject kind. */
const MAX_DAYS = 366;

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
const texts = (value: unknown) => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

/**
 * Whether the caller may see a counter item, which sums rows of many users: all of them
 * must be in the caller's data scope. A user's counter holds that user's rows (in the
 * department the item last saw them in); a department's holds its whole tree, so only
 * scope 1 or a scope 4 caller at or above it sees it; a model's and the grand total hold
 * everyone's, for scope 1 only.
 */
const visible = (identity: Identity, kind: SubjectKind, item: Item): boolean => {
  if (seesAllData(identity)) return true;
  if (kind === 'user') return inDataScope(identity, { userId: String(item.sk), deptId: text(item.deptId), deptAncestors: texts(item.deptAncestors) });
  if (kind !== 'dept' || !identity.deptId || !identity.dataScopes.includes('4')) return false;
  return item.sk === identity.deptId || texts(item.ancestors).includes(identity.deptId);
};

/** One row per user, department or model over the range, most tokens first. */
const bySubject = async (deps: Deps, identity: Identity, kind: Exclude<SubjectKind, 'all'>, first: string, last: string) => {
  const cover = coverRange(first, last);
  const items = await readPartitions(deps, [
    ...cover.months.map((month) => counterPartition(kind, 'month', month)),
    ...cover.days.map((day) => counterPartition(kind, 'day', day)),
  ]);
  const rows = new Map<string, { name: string | null; figures: UsageFigures }>();
  for (const item of items.filter((i) => visible(identity, kind, i))) {
    const key = String(item.sk);
    const row = rows.get(key) ?? { name: null, figures: emptyFigures() };
    row.name = text(item.name) ?? row.name;
    addFigures(row.figures, figuresOfItem(item));
    rows.set(key, row);
  }
  return [...rows.entries()]
    .map(([key, row]) => ({ key, name: row.name, ...row.figures }))
    .sort((a, b) => b.totalTokens - a.totalTokens || a.key.localeCompare(b.key));
};

/** The subject of a day series: the one named, or what the caller's scope covers as a whole. */
const seriesSubject = (identity: Identity, query: UsageSummaryQuery): { kind: SubjectKind; id: string } => {
  const named = [
    ['user', query.userId],
    ['dept', query.deptId],
    ['model', query.modelId],
  ].filter(([, id]) => id) as [SubjectKind, string][];
  if (named.length > 1) throw ServiceError.invalid('userId、deptId、modelId 只能选一个');
  const [subject] = named;
  if (subject) {
    if ((subject[0] === 'model' || subject[0] === 'all') && !seesAllData(identity)) throw ServiceError.service(REFUSAL_MSG.usageOutOfScope);
    return { kind: subject[0], id: subject[1] };
  }
  if (seesAllData(identity)) return { kind: 'all', id: '' };
  if (identity.deptId && identity.dataScopes.includes('4')) return { kind: 'dept', id: identity.deptId };
  return { kind: 'user', id: identity.userId };
};

/** One row per day of the range (days without use included, as zeros), oldest first. */
const byDay = async (deps: Deps, identity: Identity, query: UsageSummaryQuery, first: string, last: string) => {
  const { kind, id } = seriesSubject(identity, query);
  const days = daysBetween(first, last);
  const keys = days.map((day) => counterKey(kind, id, 'day', day));
  const found = await readKeys(deps, keys);
  return days.map((day, i) => {
    const item = found.get(keyText(keys[i]!));
    return { key: day, name: null, ...(item && visible(identity, kind, item) ? figuresOfItem(item) : emptyFigures()) };
  });
};

/**
 * Usage summed from the counters, with RuoYi's data scope applied to each counter read
 * (summary.ts `visible`): by user, department or model over a range of days, or one
 * subject's use day by day. `total` is the sum of the rows.
 */
export const usageSummary = async (deps: Deps, identity: Identity, query: UsageSummaryQuery, now = Date.now()): Promise<UsageSummary> => {
  const { first, last } = dayRange(query, { days: 'month', maxDays: MAX_DAYS }, now);
  if (query.groupBy !== 'day' && (query.userId || query.deptId || query.modelId)) throw ServiceError.invalid('userId、deptId、modelId 只用于 groupBy=day');
  const rows = query.groupBy === 'day' ? await byDay(deps, identity, query, first, last) : await bySubject(deps, identity, query.groupBy, first, last);
  return { groupBy: query.groupBy, beginTime: first, endTime: last, rows, total: sumFigures(rows.map(({ key: _k, name: _n, ...figures }) => figures)) };
};
