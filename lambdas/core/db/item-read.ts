import type { DocumentClient } from './client.ts';

type Item = Record<string, unknown>;

/** One item to read by its key, and what the item (or its absence) becomes for the caller. */
export interface ItemRead<T> {
  table: string;
  /** The whole primary key; its values are strings or numbers. */
  key: Item;
  /** Strongly consistent: for an item the caller may have written an instant ago. */
  consistent?: boolean;
  parse(item: Item | undefined): T;
}

export const readItem = async <T>(db: DocumentClient, read: ItemRead<T>): Promise<T> => {
  const out = await db.get({ TableName: read.table, Key: read.key, ConsistentRead: read.consistent || undefined });
  return read.parse(out.Item);
};

const holdsKey = (item: Item, key: Item) => Object.entries(key).every(([name, value]) => item[name] === value);

type Results<R extends readonly ItemRead<unknown>[]> = { [K in keyof R]: R[K] extends ItemRead<infer T> ? T : never };

/**
 * Several items (distinct keys, any tables) in one BatchGetItem: one request where a
 * GetItem each would be several, which is what the pre-stream checks wait for. A table
 * is read consistently if any of its reads asks for it. Keys DynamoDB leaves unprocessed
 * (it may, when throttled) are read one by one, under the client's own retries.
 */
export const readItems = async <const R extends readonly ItemRead<unknown>[]>(db: DocumentClient, reads: R): Promise<Results<R>> => {
  const tables = new Map<string, { Keys: Item[]; ConsistentRead?: boolean }>();
  for (const read of reads) {
    const table = tables.get(read.table) ?? { Keys: [] };
    table.Keys.push(read.key);
    if (read.consistent) table.ConsistentRead = true;
    tables.set(read.table, table);
  }
  const out = await db.batchGet({ RequestItems: Object.fromEntries(tables) });
  const unprocessed = (table: string) => (out.UnprocessedKeys?.[table]?.Keys ?? []) as Item[];
  return Promise.all(
    reads.map((read) => {
      if (unprocessed(read.table).some((key) => holdsKey(key, read.key))) return readItem(db, read);
      const items = (out.Responses?.[read.table] ?? []) as Item[];
      return read.parse(items.find((item) => holdsKey(item, read.key)));
    }),
  ) as Promise<Results<R>>;
};
