import type { PeriodKind } from './periods.ts';

/**
 * Keys of the usage items, which live in the sessions table beside the sessions but never
 * in a session's partition: deleting a session (delete-session.ts removes its partition
 * and its runs' status items) leaves every number here as it was.
 *
 * - A ledger entry per run: partition `USAGE#<day>` (the day its run started), sorted by
 *   start time; its key is fixed by the run (start and id), so writing it on condition that
 *   it does not exist makes the whole final write happen once.
 * - A counter per subject and period: partition `CNT#<D|M>#<period>#<U|D|M|A>`, sort key the
 *   subject's id, so one Query lists every user (department, model) of a day or month and
 *   every key a send's checks need is known before they start.
 * - Quotas: partition `QUOTA`, one item each.
 */

export type SubjectKind = 'user' | 'dept' | 'model' | 'all';

const SUBJECT_CODE: Record<SubjectKind, string> = { user: 'U', dept: 'D', model: 'M', all: 'A' };
const PERIOD_CODE: Record<PeriodKind, string> = { day: 'D', month: 'M' };

/** The one subject of the `all` counters. */
export const ALL_ID = '*';

export type ItemKey = { pk: string; sk: string };

export const counterPartition = (kind: SubjectKind, periodKind: PeriodKind, period: string): string =>
  `CNT#${PERIOD_CODE[periodKind]}#${period}#${SUBJECT_CODE[kind]}`;

export const counterKey = (kind: SubjectKind, id: string, periodKind: PeriodKind, period: string): ItemKey => ({
  pk: counterPartition(kind, periodKind, period),
  sk: kind === 'all' ? ALL_ID : id,
});

export const ledgerPartition = (day: string): string => `USAGE#${day}`;

export const ledgerKey = (day: string, startedAt: number, runId: string): ItemKey => ({
  pk: ledgerPartition(day),
  sk: `${startedAt.toString().padStart(15, '0')}#${runId}`,
});

export const QUOTA_PK = 'QUOTA';
export const quotaKey = (quotaId: number): ItemKey => ({ pk: QUOTA_PK, sk: quotaId.toString().padStart(10, '0') });
/** The quota id sequence (db/counter.ts), outside the quotas' partition so a Query of it finds quotas only. */
export const QUOTA_SEQUENCE_KEY: ItemKey = { pk: 'QUOTA#SEQUENCE', sk: 'SEQUENCE' };

/** A key as one string, to tell items apart in maps and logs. */
export const keyText = (key: ItemKey): string => `${key.pk}|${key.sk}`;
