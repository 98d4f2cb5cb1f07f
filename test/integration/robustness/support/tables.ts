import { inject } from 'vitest';
import { createDocumentClient, type DocumentClient } from '../../../../lambdas/core/db/client.ts';
import type { Runtime, Tables } from '../../../../lambdas/core/runtime.ts';

export type Store = Pick<Runtime, 'db' | 'tables'>;
export type Item = Record<string, unknown>;
/** The tables holding users' data; the audit trail records attempts, refused ones included, so it is not among them. */
type DataTable = Exclude<keyof Tables, 'audit'>;
export type TableDump = Record<DataTable, Item[]>;

/**
 * The test's own view of the tables named in `env`: straight to DynamoDB Local, so it
 * still sees them while the handler under test is cut off behind a proxy.
 */
export const directStore = (env: NodeJS.ProcessEnv = process.env): Store => ({
  db: createDocumentClient({ endpoint: inject('ddbEndpoint') }),
  tables: { models: env.MODELS_TABLE!, configs: env.CONFIGS_TABLE!, sessions: env.SESSIONS_TABLE! },
});

/** JSON with object keys sorted, so equal items give equal text whatever order the attributes came in. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );

const scanAll = async (db: DocumentClient, table: string): Promise<Item[]> => {
  const items: Item[] = [];
  let ExclusiveStartKey: Item | undefined;
  do {
    const out = await db.scan({ TableName: table, ConsistentRead: true, ExclusiveStartKey });
    items.push(...(out.Items ?? []));
    ExclusiveStartKey = out.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items.sort((a, b) => (canonical(a) < canonical(b) ? -1 : 1));
};

/** Every item of the three tables, in a stable order: two dumps are equal when nothing changed. */
export const dumpTables = async ({ db, tables }: Store): Promise<TableDump> => {
  const [models, configs, sessions] = await Promise.all([scanAll(db, tables.models), scanAll(db, tables.configs), scanAll(db, tables.sessions)]);
  return { models, configs, sessions };
};

/** Every item of the sessions table whose key starts with `prefix` (run-status items: `RUNSTATUS#`). */
export const sessionItemsWithPrefix = async (store: Store, prefix: string): Promise<Item[]> =>
  (await dumpTables(store)).sessions.filter((item) => String(item.pk).startsWith(prefix));

/**
 * A readable name for an item, stable across the values it holds: sessions-table items by
 * key (a run item by its partition and `RUN#` alone, a rate counter without its window),
 * models and configs by their id.
 */
const itemLabel = (table: DataTable, item: Item): string => {
  if (table === 'models') return `model ${String(item.modelId)}`;
  if (table === 'configs') return `config ${String(item.userId)}`;
  const pk = String(item.pk);
  const sk = String(item.sk);
  if (pk.startsWith('RATE#')) return pk;
  return `${pk} ${sk.startsWith('RUN#') ? 'RUN#' : sk}`;
};

/** Labels of the items added, changed or removed between two dumps, sorted. */
export const changedItems = (before: TableDump, after: TableDump): string[] => {
  const changed = new Set<string>();
  for (const table of Object.keys(before) as DataTable[]) {
    const was = new Set(before[table].map(canonical));
    const now = new Set(after[table].map(canonical));
    for (const item of before[table]) if (!now.has(canonical(item))) changed.add(itemLabel(table, item));
    for (const item of after[table]) if (!was.has(canonical(item))) changed.add(itemLabel(table, item));
  }
  return [...changed].sort();
};
