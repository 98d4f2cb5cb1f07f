import type { Runtime } from '../../../../lambdas/core/runtime.ts';
import type { LedgerEntry } from '../../../../lambdas/core/usage/ledger-entry.ts';

type Item = Record<string, unknown>;
type Deps = Pick<Runtime, 'db' | 'tables'>;

/** Every item of the sessions table, page by page. */
const scanAll = async (deps: Deps): Promise<Item[]> => {
  const items: Item[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const out = await deps.db.scan({ TableName: deps.tables.sessions, ExclusiveStartKey, ConsistentRead: true });
    items.push(...(out.Items ?? []));
    ExclusiveStartKey = out.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
};

export interface UsageState {
  entries: LedgerEntry[];
  /** Counter items by `pk sk`. */
  counters: Map<string, Item>;
}

/** The ledger and the counters as stored. */
export const readUsageState = async (deps: Deps): Promise<UsageState> => {
  const items = await scanAll(deps);
  return {
    entries: items.filter((i) => String(i.pk).startsWith('USAGE#')) as unknown as LedgerEntry[],
    counters: new Map(items.filter((i) => String(i.pk).startsWith('CNT#')).map((i) => [`${i.pk} ${i.sk}`, i])),
  };
};

const FIGURES = [
  'runs',
  'completedRuns',
  'cancelledRuns',
  'failedRuns',
  'estimatedRuns',
  'inputTokens',
  'outputTokens',
  'reasoningTokens',
  'cachedTokens',
  'totalTokens',
];

/**
 * What each counter must hold, summed here from the entries with rules written apart from
 * the service's (its subjects: user, the department path, model, everything; its periods:
 * the day of the entry's partition and that day's month).
 */
export const expectedCounters = (entries: LedgerEntry[]): Map<string, Record<string, number>> => {
  const expected = new Map<string, Record<string, number>>();
  for (const e of entries) {
    const day = (e as unknown as { pk: string }).pk.slice('USAGE#'.length);
    const subjects = [`U ${e.userId}`, ...(e.deptId ? [...e.deptAncestors, e.deptId] : []).map((d) => `D ${d}`), `M ${e.modelId}`, 'A *'];
    for (const [code, period] of [
      ['D', day],
      ['M', day.slice(0, 7)],
    ]) {
      for (const subject of subjects) {
        const [kind, id] = subject.split(' ');
        const key = `CNT#${code}#${period}#${kind} ${id}`;
        const sums = expected.get(key) ?? Object.fromEntries(FIGURES.map((f) => [f, 0]));
        sums.runs! += 1;
        sums[`${e.outcome}Runs`]! += 1;
        sums.estimatedRuns! += e.source === 'estimated' ? 1 : 0;
        sums.inputTokens! += e.inputTokens;
        sums.outputTokens! += e.outputTokens;
        sums.reasoningTokens! += e.reasoningTokens;
        sums.cachedTokens! += e.cachedTokens;
        sums.totalTokens! += e.inputTokens + e.outputTokens;
        if (e.price) sums[`cost#${e.price.currency}`] = (sums[`cost#${e.price.currency}`] ?? 0) + e.costMicros;
        expected.set(key, sums);
      }
    }
  }
  return expected;
};

/**
 * Every difference between the counters and the sums of the entries (none: each counter
 * equals the sum of its entries), and, with no run in flight, between what a counter holds
 * against hard quotas and what it counted (none: every reservation was settled or given back).
 */
export const counterDifferences = (state: UsageState, { settled = true } = {}): string[] => {
  const expected = expectedCounters(state.entries);
  const differences: string[] = [];
  for (const [key, sums] of expected) {
    const item = state.counters.get(key);
    for (const [name, value] of Object.entries(sums)) {
      const stored = Number(item?.[name] ?? 0);
      if (stored !== value) differences.push(`${key} ${name}: stored ${stored}, entries sum to ${value}`);
    }
  }
  for (const [key, item] of state.counters) {
    if (!expected.has(key) && Number(item.runs ?? 0) !== 0) differences.push(`${key}: counts runs no entry has`);
    if (!settled) continue;
    if (Number(item.heldTokens ?? 0) !== Number(item.totalTokens ?? 0))
      differences.push(`${key}: holds ${item.heldTokens} tokens, counted ${item.totalTokens ?? 0}`);
    for (const [name, value] of Object.entries(item)) {
      if (!name.startsWith('heldCost#')) continue;
      const counted = Number(item[`cost#${name.slice('heldCost#'.length)}`] ?? 0);
      if (Number(value) !== counted) differences.push(`${key}: holds ${name} ${value}, counted ${counted}`);
    }
  }
  return differences;
};
