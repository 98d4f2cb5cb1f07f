import { inDataScope } from '../auth/data-scope.ts';
import type { Identity } from '../auth/identity.ts';
import type { Runtime } from '../runtime.ts';
import { instantOfWireTime } from '../time.ts';
import { containsText } from '../validation/page-query.ts';
import { pageOf, type Page } from '../wire/envelope.ts';
import { auditRecordsNewestFirst, type StoredAuditRecord, type TimeRange } from './repository.ts';
import { type AuditListQuery, type AuditRow, toAuditRow } from './schema.ts';

type Deps = Pick<Runtime, 'db' | 'tables' | 'settings'>;

/**
 * Bounds of one list request. The list counts and sorts the newest matches it finds
 * among the newest records of the range it reads: a narrower time range reaches further
 * back. Far above what an admin pages through, and a bounded read for a busy trail.
 */
export const AUDIT_LIST_LIMITS = { matches: 2000, read: 20_000 } as const;

const DAY_MS = 86_400_000;

/** The days asked for, whole days of the wire zone; without a start, as far back as records are kept. */
const timeRange = (query: AuditListQuery, retentionDays: number, now: number): TimeRange => ({
  from: query.beginTime ? instantOfWireTime(`${query.beginTime}T00:00:00`) : now - retentionDays * DAY_MS,
  to: query.endTime ? instantOfWireTime(`${query.endTime}T23:59:59`) + 999 : now,
});

const matches = (record: StoredAuditRecord, query: AuditListQuery): boolean =>
  containsText(record.title, query.title) &&
  containsText(record.operName, query.operName) &&
  containsText(record.operIp, query.operIp) &&
  (query.businessType === undefined || record.businessType === Number(query.businessType)) &&
  (query.status === undefined || record.status === Number(query.status));

const sortKey = (row: AuditRow, column: NonNullable<AuditListQuery['orderByColumn']>): string | number => (column === 'operTime' ? row.operId : row[column]);

/** Sorted as RuoYi's page asks (`orderByColumn`, `isAsc`); newest first by default and between equals. */
const ordered = (rows: AuditRow[], query: AuditListQuery): AuditRow[] => {
  const column = query.orderByColumn ?? 'operTime';
  const direction = query.isAsc === 'ascending' || query.isAsc === 'asc' ? 1 : -1;
  return rows.sort((a, b) => {
    const [x, y] = [sortKey(a, column), sortKey(b, column)];
    const byColumn = x < y ? -direction : x > y ? direction : 0;
    return byColumn || b.operId - a.operId;
  });
};

/**
 * `GET /ai/audit/list`: the records the caller may see, filtered, sorted and paged like
 * RuoYi's operation log. Whose records a caller sees follows RuoYi's data scope applied
 * to the operator (auth/data-scope.ts): admins and scope 1 all, 3 the operators of the
 * caller's department, 4 of it and the departments below, 5 the caller's own operations,
 * 2 none. Records past their TTL that DynamoDB has not removed yet are left out.
 */
export const listAuditRecords = async (
  deps: Deps,
  identity: Identity,
  query: AuditListQuery,
  { now = Date.now(), limits = AUDIT_LIST_LIMITS }: { now?: number; limits?: { matches: number; read: number } } = {},
): Promise<Page<AuditRow>> => {
  const found: AuditRow[] = [];
  let read = 0;
  scan: for await (const page of auditRecordsNewestFirst(deps, timeRange(query, deps.settings.AUDIT_RETENTION_DAYS, now))) {
    for (const record of page) {
      read += 1;
      if (record.expiresAt * 1000 > now && inDataScope(identity, record) && matches(record, query)) found.push(toAuditRow(record));
      if (found.length >= limits.matches || read >= limits.read) break scan;
    }
  }
  return pageOf(ordered(found, query), query);
};
