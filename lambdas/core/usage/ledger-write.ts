import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { COST_PREFIX, HELD_COST_PREFIX, HELD_TOKENS } from './figures.ts';
import { counterKey, type ItemKey, keyText, ledgerKey, type SubjectKind } from './keys.ts';
import type { LedgerEntry } from './ledger-entry.ts';
import { PERIOD_KINDS, periodOf } from './periods.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * The deepest department tree counted: each level is two counter items of the final
 * transaction (day and month), which DynamoDB caps at 100 items.
 */
export const MAX_DEPT_LEVELS = 40;

interface Subject {
  kind: SubjectKind;
  id: string;
  /** Descriptive attributes kept as last seen, for the summaries' names and data scope. */
  described: Record<string, unknown>;
}

/** Every subject a run counts for: its user, its department and each ancestor, its model, and everything. */
const subjectsOf = (entry: LedgerEntry): Subject[] => {
  const path = entry.deptId ? [...entry.deptAncestors, entry.deptId].slice(-MAX_DEPT_LEVELS) : [];
  const offset = entry.deptAncestors.length + 1 - path.length;
  return [
    { kind: 'user', id: entry.userId, described: { name: entry.userName, deptId: entry.deptId, deptAncestors: entry.deptAncestors } },
    ...path.map((id, i) => ({
      kind: 'dept' as const,
      id,
      described: { ancestors: [...entry.deptAncestors.slice(0, offset), ...path.slice(0, i)], ...(id === entry.deptId ? { name: entry.deptName } : {}) },
    })),
    { kind: 'model', id: String(entry.modelId), described: { name: entry.modelName, code: entry.modelCode } },
    { kind: 'all', id: '', described: {} },
  ];
};

/** The run's cost by currency: none for an unpriced model. */
const costOf = (entry: LedgerEntry): Record<string, number> => (entry.price ? { [entry.price.currency]: entry.costMicros } : {});

/**
 * One counter's update: atomic ADDs of the run's figures (so a counter is the sum of its
 * runs' entries, whoever writes concurrently), the held figures settled (the run's use
 * less what its send reserved on this item), and the subject's description SET as last seen.
 */
const counterUpdate = (
  table: string,
  key: ItemKey,
  entry: LedgerEntry,
  described: Record<string, unknown>,
  reserved: { tokens: number; cost: Record<string, number> },
): TransactItem => {
  const names: Record<string, string> = { '#outcome': `${entry.outcome}Runs`, '#held': HELD_TOKENS };
  const values: Record<string, unknown> = {
    ':one': 1,
    ':estimated': entry.source === 'estimated' ? 1 : 0,
    ':in': entry.inputTokens,
    ':out': entry.outputTokens,
    ':reasoning': entry.reasoningTokens,
    ':cached': entry.cachedTokens,
    ':total': entry.totalTokens,
    ':held': entry.totalTokens - reserved.tokens,
  };
  const adds = [
    'runs :one',
    '#outcome :one',
    'estimatedRuns :estimated',
    'inputTokens :in',
    'outputTokens :out',
    'reasoningTokens :reasoning',
    'cachedTokens :cached',
    'totalTokens :total',
    '#held :held',
  ];
  const cost = costOf(entry);
  for (const [i, [currency, micros]] of Object.entries(cost).entries()) {
    names[`#cost${i}`] = `${COST_PREFIX}${currency}`;
    values[`:cost${i}`] = micros;
    adds.push(`#cost${i} :cost${i}`);
  }
  const heldCurrencies = [...new Set([...Object.keys(cost), ...Object.keys(reserved.cost)])];
  for (const [i, currency] of heldCurrencies.entries()) {
    names[`#heldCost${i}`] = `${HELD_COST_PREFIX}${currency}`;
    values[`:heldCost${i}`] = (cost[currency] ?? 0) - (reserved.cost[currency] ?? 0);
    adds.push(`#heldCost${i} :heldCost${i}`);
  }
  const sets = Object.entries(described)
    .filter(([, value]) => value !== undefined)
    .map(([name, value], i) => {
      names[`#d${i}`] = name;
      values[`:d${i}`] = value;
      return `#d${i} = :d${i}`;
    });
  return {
    Update: {
      TableName: table,
      Key: key,
      UpdateExpression: `${sets.length ? `SET ${sets.join(', ')} ` : ''}ADD ${adds.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
};

/** The ledger entry's own item: put only if absent, which makes the whole transaction it rides in happen once. */
const entryPut = (table: string, entry: LedgerEntry): TransactItem => ({
  Put: {
    TableName: table,
    Item: { ...ledgerKey(periodOf('day', entry.startedAt), entry.startedAt, entry.runId), type: 'usage', ...entry },
    ConditionExpression: 'attribute_not_exists(pk)',
  },
});

/**
 * The items a run's usage adds to its final transaction: the ledger entry first (put on
 * condition that it is not there yet), then one counter update per subject and period.
 * Pure: the same entry always gives the same items, so a replayed final write carries
 * exactly what the first one did and is refused by the entry's condition as a whole.
 */
export const ledgerWriteItems = (table: string, entry: LedgerEntry): TransactItem[] => {
  const reserved = new Map(entry.reservations.map((r) => [keyText(r.key), r]));
  const counters = subjectsOf(entry).flatMap((subject) =>
    PERIOD_KINDS.map((kind) => {
      const key = counterKey(subject.kind, subject.id, kind, periodOf(kind, entry.startedAt));
      return counterUpdate(table, key, entry, subject.described, reserved.get(keyText(key)) ?? { tokens: 0, cost: {} });
    }),
  );
  return [entryPut(table, entry), ...counters];
};

/** Where the ledger entry sits among `ledgerWriteItems`' items. */
export const LEDGER_ENTRY_INDEX = 0;
