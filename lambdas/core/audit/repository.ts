import { randomInt } from 'node:crypto';
import { isConditionFailed } from '../db/dynamodb-error.ts';
import type { Runtime } from '../runtime.ts';
import type { AuditRecord } from './record.ts';

type Deps = Pick<Runtime, 'db' | 'tables'>;

/** A stored record: the record, its month partition, its id and its expiry (epoch seconds, the table's TTL). */
export type StoredAuditRecord = AuditRecord & { pk: string; operId: number; expiresAt: number };

const DAY_MS = 86_400_000;
/** Ids are microseconds: the time, and room for concurrent writes within one millisecond. */
const ID_PER_MS = 1000;
const WRITE_ATTEMPTS = 3;

const auditTable = (deps: Deps): string => {
  if (!deps.tables.audit) throw new Error('configuration: AUDIT_TABLE is not set');
  return deps.tables.audit;
};

/** The UTC month an instant falls in: a record's partition. */
const monthKey = (instant: number) => `M#${new Date(instant).toISOString().slice(0, 7)}`;

/**
 * Appends a record and returns its id. The write is conditional on the id being new, so
 * it never replaces a record; two writes in one millisecond that draw the same id retry
 * with another.
 */
export const appendAuditRecord = async (deps: Deps, record: AuditRecord, retentionDays: number): Promise<number> => {
  const TableName = auditTable(deps);
  const expiresAt = Math.floor((record.operAt + retentionDays * DAY_MS) / 1000);
  for (let attempt = 1; ; attempt += 1) {
    const operId = record.operAt * ID_PER_MS + randomInt(ID_PER_MS);
    try {
      await deps.db.put({
        TableName,
        Item: { ...record, pk: monthKey(record.operAt), operId, expiresAt },
        ConditionExpression: 'attribute_not_exists(operId)',
      });
      return operId;
    } catch (err) {
      if (!isConditionFailed(err) || attempt >= WRITE_ATTEMPTS) throw err;
    }
  }
};

export interface TimeRange {
  /** Epoch ms, both ends included. */
  from: number;
  to: number;
}

/** The months a range touches, newest first. */
export const monthsNewestFirst = ({ from, to }: TimeRange): string[] => {
  const months: string[] = [];
  const start = new Date(to);
  start.setUTCDate(1);
  start.setUTCHours(0, 0, 0, 0);
  // Each month back is in the range while it ends (the next one starts) after `from`.
  let end = to + 1;
  while (end > from) {
    months.push(monthKey(start.getTime()));
    end = start.getTime();
    start.setUTCMonth(start.getUTCMonth() - 1);
  }
  return months;
};

/**
 * The records of a time range, newest first, a page of DynamoDB's answer at a time: one
 * Query per month partition over the id range, so only the range is read. The caller
 * stops when it has read enough.
 */
export async function* auditRecordsNewestFirst(deps: Deps, range: TimeRange): AsyncGenerator<StoredAuditRecord[]> {
  const TableName = auditTable(deps);
  for (const pk of monthsNewestFirst(range)) {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const out = await deps.db.query({
        TableName,
        KeyConditionExpression: 'pk = :pk AND operId BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': pk, ':from': range.from * ID_PER_MS, ':to': range.to * ID_PER_MS + ID_PER_MS - 1 },
        ScanIndexForward: false,
        ExclusiveStartKey,
      });
      yield (out.Items ?? []) as StoredAuditRecord[];
      ExclusiveStartKey = out.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }
}
