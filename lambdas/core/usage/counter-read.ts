import { readItems } from '../db/item-read.ts';
import type { Runtime } from '../runtime.ts';
import { queryAll } from '../sessions/run-store.ts';
import { type ItemKey, keyText } from './keys.ts';

type Deps = Pick<Runtime, 'db' | 'tables'>;
type Item = Record<string, unknown>;

/** Keys per BatchGetItem, DynamoDB's most. */
const BATCH = 100;
/** Requests a summary keeps in flight at once. */
const PARALLEL = 8;

/** `work` over `inputs`, at most PARALLEL at a time, results in input order. */
export const mapLimited = async <I, O>(inputs: readonly I[], work: (input: I) => Promise<O>): Promise<O[]> => {
  const out: O[] = new Array(inputs.length);
  let next = 0;
  const lane = async () => {
    while (next < inputs.length) {
      const at = next++;
      out[at] = await work(inputs[at]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, inputs.length) }, lane));
  return out;
};

/** Every item of each partition (a period's counters of one subject kind, a day's ledger), partitions in the given order. */
export const readPartitions = async (deps: Deps, partitions: readonly string[], newestFirst = false): Promise<Item[]> =>
  (
    await mapLimited(partitions, (pk) =>
      queryAll(deps, {
        TableName: deps.tables.sessions,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ScanIndexForward: !newestFirst,
      }),
    )
  ).flat();

/** The items at `keys` (absent ones left out), by `keyText`, in BatchGetItems of 100. */
export const readKeys = async (deps: Deps, keys: readonly ItemKey[]): Promise<Map<string, Item>> => {
  const unique = [...new Map(keys.map((key) => [keyText(key), key])).values()];
  const batches = Array.from({ length: Math.ceil(unique.length / BATCH) }, (_, i) => unique.slice(i * BATCH, (i + 1) * BATCH));
  const found = await mapLimited(batches, (batch) =>
    readItems(
      deps.db,
      batch.map((key) => ({ table: deps.tables.sessions, key, parse: (item: Item | undefined) => item })),
    ),
  );
  return new Map(found.flat().flatMap((item) => (item ? [[keyText({ pk: String(item.pk), sk: String(item.sk) }), item] as const] : [])));
};
