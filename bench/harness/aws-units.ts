import { Agent, createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TableDefinition } from '../../lib/table-definitions.ts';

/**
 * DynamoDB request units as AWS bills them on-demand, from the items the calls touch
 * (DynamoDB Local's own ConsumedCapacity differs, for transactions most of all):
 * - item size: attribute names plus values (UTF-8 strings, numbers about one byte per two
 *   digits plus one, 1 byte for booleans and nulls, 3 bytes plus 1 per element for lists
 *   and maps);
 * - a read: per 4 KB of the whole item (a projection does not make it cheaper; a Query sums
 *   the items it read before rounding), half a unit eventually consistent, one strongly;
 * - a write: per 1 KB of the larger of the item before and after, at least one, even when
 *   its condition fails; each item of a transaction counts twice; and one more per change
 *   of an index entry (an entry added, removed or whose projected attributes changed).
 */
type Value = Record<string, unknown>;
type Item = Record<string, Value>;

const valueBytes = (value: Value): number => {
  const [type, v] = Object.entries(value)[0]!;
  switch (type) {
    case 'S':
      return Buffer.byteLength(v as string);
    case 'N': {
      const digits = (v as string).replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
      return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
    }
    case 'B':
      return Buffer.from(v as string, 'base64').length;
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'L':
      return 3 + (v as Value[]).reduce((sum, e) => sum + valueBytes(e) + 1, 0);
    case 'M':
      return 3 + Object.entries(v as Item).reduce((sum, [name, e]) => sum + Buffer.byteLength(name) + valueBytes(e) + 1, 0);
    case 'SS':
    case 'NS':
    case 'BS':
      return (v as string[]).reduce((sum, e) => sum + valueBytes({ [type.slice(0, 1)]: e }), 0);
    default:
      throw new Error(`unknown attribute type ${type}`);
  }
};

export const itemBytes = (item: Item | undefined): number =>
  item ? Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueBytes(value), 0) : 0;

const readUnits = (bytes: number, consistent: boolean) => Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);
const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));

export interface Units {
  read: number;
  write: number;
  /** Units by operation (the status poll apart), for the table's breakdown. */
  byOperation: Record<string, { calls: number; read: number; write: number }>;
}

const emptyUnits = (): Units => ({ read: 0, write: 0, byOperation: {} });

/** Reads of a run-status item: the stream's cancel poll, which grows with the reply's length. */
export const STATUS_POLL = 'GetItem (run status)';
/** The usage ledger's items of a run's final write: its entry and counters (lambdas/core/usage/ledger-write.ts). */
export const LEDGER_WRITE = 'usage ledger (in the final write)';
/** A send's quota check: a hard quota's reservation, a soft quota's read. */
export const QUOTA_RESERVE = 'UpdateItem (quota reservation)';
export const QUOTA_READ = 'BatchGetItem (soft quotas)';

const isUsageItem = (key: Item | undefined) => /^(USAGE|CNT)#/.test(String(key?.pk?.S));

const labelOf = (operation: string, input: Record<string, any>) => {
  if (operation === 'GetItem' && String(input.Key?.pk?.S).startsWith('RUNSTATUS#')) return STATUS_POLL;
  if (operation === 'UpdateItem' && isUsageItem(input.Key)) return QUOTA_RESERVE;
  if (operation === 'BatchGetItem' && Object.values(input.RequestItems as Record<string, { Keys: Item[] }>).every((r) => r.Keys.every(isUsageItem)))
    return QUOTA_READ;
  return operation;
};

interface Call {
  operation: string;
  input: Record<string, any>;
  output: Record<string, any>;
}

/** One write's item: its table and key; `item` for a put (its key is inside it). */
interface Touched {
  table: string;
  key: Item;
  transactional: boolean;
}

/**
 * An HTTP proxy in front of DynamoDB Local that counts every call's units by the rules
 * above. For writes it reads the item before and after (on its own connection, not
 * counted), so updates are sized by what they left.
 */
export const startUnitsProxy = async (targetEndpoint: string, tables: Record<string, TableDefinition>) => {
  const target = new URL(targetEndpoint);
  const agent = new Agent({ keepAlive: true });
  let units = emptyUnits();

  const post = (operation: string, body: unknown, headers: IncomingHttpHeaders): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const payload = Buffer.from(JSON.stringify(body));
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          method: 'POST',
          path: '/',
          agent,
          headers: { ...headers, 'x-amz-target': `DynamoDB_20120810.${operation}`, 'content-length': payload.length, host: target.host },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });

  const keyOf = (table: string, item: Item): Item => {
    const def = tables[table]!;
    return Object.fromEntries([def.partitionKey, def.sortKey].filter(Boolean).map((k) => [k!.name, item[k!.name]!]));
  };
  const fetchItem = async (t: Touched, headers: IncomingHttpHeaders): Promise<Item | undefined> => {
    const out = await post('GetItem', { TableName: t.table, Key: t.key, ConsistentRead: true }, headers);
    return (JSON.parse(out.body.toString('utf8')) as { Item?: Item }).Item;
  };
  /** Index entry writes between two versions of an item. */
  const indexWrites = (table: string, before: Item | undefined, after: Item | undefined): number => {
    const def = tables[table]!;
    const tableKeys = [def.partitionKey.name, def.sortKey?.name];
    return def.globalIndexes.reduce((sum, index) => {
      const indexKeys = [index.partitionKey.name, index.sortKey?.name].filter((n): n is string => !!n);
      const entry = (item: Item | undefined) => {
        if (!item || indexKeys.some((n) => !item[n])) return undefined;
        const names = index.nonKeyAttributes ? [...indexKeys, ...tableKeys, ...index.nonKeyAttributes] : Object.keys(item);
        return Object.fromEntries(names.filter((n): n is string => !!n && item[n] !== undefined).map((n) => [n, item[n]!]));
      };
      const [was, is] = [entry(before), entry(after)];
      const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
      if (same(was, is)) return sum;
      const moved = was && is && indexKeys.some((n) => !same(was[n], is[n]));
      return sum + (moved ? writeUnits(itemBytes(was)) + writeUnits(itemBytes(is)) : writeUnits(Math.max(itemBytes(was), itemBytes(is))));
    }, 0);
  };

  const touchedBy = (operation: string, input: Record<string, any>): Touched[] => {
    const one = (table: string, key: Item, transactional = false) => ({ table, key, transactional });
    switch (operation) {
      case 'PutItem':
        return [one(input.TableName, keyOf(input.TableName, input.Item))];
      case 'UpdateItem':
      case 'DeleteItem':
        return [one(input.TableName, input.Key)];
      case 'TransactWriteItems':
        return (input.TransactItems as Record<string, any>[]).map((entry) => {
          const [, action] = Object.entries(entry)[0]!;
          return one(action.TableName, action.Key ?? keyOf(action.TableName, action.Item), true);
        });
      case 'BatchWriteItem':
        return Object.entries(input.RequestItems as Record<string, Record<string, any>[]>).flatMap(([table, requests]) =>
          requests.map((r) => one(table, r.PutRequest ? keyOf(table, r.PutRequest.Item) : r.DeleteRequest.Key)),
        );
      default:
        return [];
    }
  };

  const add = (label: string, read: number, write: number) => {
    units.read += read;
    units.write += write;
    const op = units.byOperation[label] ?? { calls: 0, read: 0, write: 0 };
    units.byOperation[label] = op;
    op.calls += 1;
    op.read += read;
    op.write += write;
  };

  const readsOf = async ({ operation, input, output }: Call, headers: IncomingHttpHeaders) => {
    const consistent = input.ConsistentRead === true;
    if (operation === 'GetItem') {
      // A projection is read whole and billed whole.
      const item = input.ProjectionExpression ? await fetchItem({ table: input.TableName, key: input.Key, transactional: false }, headers) : output.Item;
      return readUnits(itemBytes(item), consistent);
    }
    if (operation === 'BatchGetItem') {
      // Billed as a GetItem per requested key, an absent item at the minimum.
      return Object.entries(input.RequestItems as Record<string, { Keys: Item[]; ConsistentRead?: boolean }>).reduce((sum, [table, request]) => {
        const found = ((output.Responses?.[table] ?? []) as Item[]).map((item) => ({ item, key: JSON.stringify(keyOf(table, item)) }));
        return (
          sum +
          request.Keys.reduce((units, key) => {
            const item = found.find((f) => f.key === JSON.stringify(keyOf(table, key)))?.item;
            return units + readUnits(itemBytes(item), request.ConsistentRead === true);
          }, 0)
        );
      }, 0);
    }
    if (operation === 'Query' || operation === 'Scan') {
      const items = (output.Items ?? []) as Item[];
      const returned = items.reduce((sum, item) => sum + itemBytes(item), 0);
      // Items a filter dropped were read too: counted at the returned items' average size (1 KB if none came back).
      const dropped = (output.ScannedCount ?? items.length) - items.length;
      const average = items.length ? returned / items.length : 1024;
      return readUnits(returned + dropped * average, consistent);
    }
    return 0;
  };

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    const input = JSON.parse(body.toString('utf8') || '{}') as Record<string, any>;
    try {
      const touched = touchedBy(operation, input);
      const before = await Promise.all(touched.map((t) => fetchItem(t, req.headers)));
      const answer = await post(operation, input, req.headers);
      const output = JSON.parse(answer.body.toString('utf8') || '{}') as Record<string, any>;
      const after = await Promise.all(touched.map((t) => fetchItem(t, req.headers)));
      const unitsOf = (t: Touched, i: number) =>
        writeUnits(Math.max(itemBytes(before[i]), itemBytes(after[i]))) * (t.transactional ? 2 : 1) + indexWrites(t.table, before[i], after[i]);
      // A final write's usage items are counted apart, so the ledger's share of it shows.
      const ledger = operation === 'TransactWriteItems' && touched.some((t) => !isUsageItem(t.key));
      const write = touched.reduce((sum, t, i) => sum + (ledger && isUsageItem(t.key) ? 0 : unitsOf(t, i)), 0);
      add(labelOf(operation, input), answer.status === 200 ? await readsOf({ operation, input, output }, req.headers) : 0, write);
      if (ledger)
        add(
          LEDGER_WRITE,
          0,
          touched.reduce((sum, t, i) => sum + (isUsageItem(t.key) ? unitsOf(t, i) : 0), 0),
        );
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    } catch {
      res.destroy();
    }
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Units counted since the last call. */
    take(): Units {
      const taken = units;
      units = emptyUnits();
      return taken;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
};
