import * as z from 'zod/mini';
import { choice } from '../validation/fields.ts';
import { pageQueryShape, queryText } from '../validation/page-query.ts';
import { USAGE_GROUPS, USAGE_OUTCOMES, USAGE_SOURCES } from '../wire/responses.ts';

/**
 * A day filter: `2026-11-24`, or a RuoYi date picker's `2026-11-24 00:00:00` (its range
 * pickers send whole days that way), of which the day is kept.
 */
const day = (field: string) =>
  z.optional(
    z.pipe(
      z.string().check(z.regex(/^\d{4}-\d\d-\d\d([ T]\d\d:\d\d:\d\d)?$/, `${field}: 格式为 yyyy-MM-dd`)),
      z.transform((text: string) => text.slice(0, 10)),
    ),
  );

const numericId = (field: string) => z.optional(z.string().check(z.regex(/^\d{1,19}$/, `${field}: 必须是数字`)));

/** The range and subject filters every usage query shares; the range defaults to the current month so far. */
const rangeShape = {
  beginTime: day('beginTime'),
  endTime: day('endTime'),
};

/**
 * `groupBy` `user`, `dept` or `model`: a row per subject over the range, most tokens first.
 * `day`: a row per day of one subject's use, `userId`, `deptId` or `modelId` (at most one;
 * none: everything the caller's scope covers).
 */
export const usageSummaryQuerySchema = z.object({
  groupBy: choice(USAGE_GROUPS, 'groupBy'),
  ...rangeShape,
  userId: queryText(128, 'userId: 过长'),
  deptId: numericId('deptId'),
  modelId: numericId('modelId'),
});

/** The ledger's filters: `deptId` takes the department's whole tree. */
const ledgerFilterShape = {
  ...rangeShape,
  userId: queryText(128, 'userId: 过长'),
  deptId: numericId('deptId'),
  modelId: numericId('modelId'),
  outcome: z.optional(choice(USAGE_OUTCOMES, 'outcome')),
  source: z.optional(choice(USAGE_SOURCES, 'source')),
};

export const ledgerQuerySchema = z.object({ ...pageQueryShape, ...ledgerFilterShape });
export const ledgerExportSchema = z.object(ledgerFilterShape);

export type UsageSummaryQuery = z.output<typeof usageSummaryQuerySchema>;
export type LedgerFilter = z.output<typeof ledgerExportSchema>;
export type LedgerQuery = z.output<typeof ledgerQuerySchema>;
