import type { DocumentClient } from '../../lambdas/core/db/client.ts';

/** Operations that return ConsumedCapacity when asked, split by the kind of capacity they use. */
const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

export interface CapacityRecord {
  operation: string;
  kind: 'read' | 'write';
  units: number;
  /** The part of `units` spent on secondary indexes. */
  indexUnits: number;
}

export interface CapacityTotals {
  read: number;
  write: number;
  failed: number;
  operations: CapacityRecord[];
}

interface TableCapacity {
  CapacityUnits?: number;
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
  LocalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}
type Consumed = TableCapacity | TableCapacity[] | undefined;

const listOf = (consumed: Consumed): TableCapacity[] => (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []);

const unitsOf = (consumed: Consumed) => ({
  units: listOf(consumed).reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0),
  indexUnits: listOf(consumed).reduce(
    (sum, c) =>
      sum +
      [...Object.values(c.GlobalSecondaryIndexes ?? {}), ...Object.values(c.LocalSecondaryIndexes ?? {})].reduce(
        (s, index) => s + (index.CapacityUnits ?? 0),
        0,
      ),
    0,
  ),
});

/**
 * Counts the capacity every DynamoDB call of the real code paths consumes between
 * `start` and `stop`: a wrapper on the runtimes' own clients asks each read and write
 * for ReturnConsumedCapacity (INDEXES: the total, with the indexes' share in it) and
 * records what came back. A call that throws (a failed condition) returns no figure: it
 * is listed with 0 units and counted in `failed`, so a total never hides one. Only
 * while metering: the other figures time calls that ask for nothing extra.
 */
export const meterCapacity = (clients: DocumentClient[]) => {
  let records: CapacityRecord[] = [];
  let releases: (() => void)[] = [];
  const meter = (db: DocumentClient) =>
    db.use((next) => async (operation, input) => {
      const kind = READS.has(operation) ? 'read' : WRITES.has(operation) ? 'write' : undefined;
      if (!kind) return next(operation, input);
      try {
        const out = await next(operation, { ...input, ReturnConsumedCapacity: 'INDEXES' });
        records.push({ operation, kind, ...unitsOf(out.ConsumedCapacity as Consumed) });
        return out;
      } catch (err) {
        records.push({ operation: `${operation} (failed)`, kind, units: 0, indexUnits: 0 });
        throw err;
      }
    });
  const unmeter = () => {
    for (const release of releases) release();
    releases = [];
  };
  return {
    start(): void {
      unmeter();
      records = [];
      releases = clients.map(meter);
    },
    /** Stops metering; what was counted since `start`. */
    stop(): CapacityTotals {
      unmeter();
      const sum = (kind: 'read' | 'write') => records.filter((r) => r.kind === kind).reduce((s, r) => s + r.units, 0);
      return {
        read: sum('read'),
        write: sum('write'),
        failed: records.filter((r) => r.operation.endsWith('(failed)')).length,
        operations: records,
      };
    },
  };
};
