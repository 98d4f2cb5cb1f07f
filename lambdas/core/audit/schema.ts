import * as z from 'zod/mini';
import { wireTime } from '../time.ts';
import { pageQueryShape, queryText } from '../validation/page-query.ts';
import { publicUserId } from '../wire/public-user-id.ts';
import type { StoredAuditRecord } from './repository.ts';

/** What RuoYi's page sends for a cleared filter (an empty select) is no filter. */
const blankOr = <T extends z.ZodMiniType<unknown, string>>(schema: T) =>
  z.pipe(
    z.pipe(
      z.optional(z.string()),
      z.transform((value: string | undefined) => (value === '' ? undefined : value)),
    ),
    z.optional(schema),
  );

const DAY = /^(\d{4}-\d{2}-\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2})?)?$/;

/** RuoYi's date-range filter sends `YYYY-MM-DD HH:mm:ss`; only the day counts, as in RuoYi. */
const day = (field: string) =>
  blankOr(
    z.pipe(
      z.string().check(z.regex(DAY, `${field}: 日期格式应为 YYYY-MM-DD`)),
      z.transform((text: string) => text.slice(0, 10)),
    ),
  );

/** Columns the list sorts by (the operation log page sorts by operator, time and cost). */
export const AUDIT_ORDER_COLUMNS = ['operTime', 'operId', 'operName', 'costTime', 'title', 'businessType', 'status'] as const;

/**
 * The filters of RuoYi's operation-log page (`GET /monitor/operlog/list`): title and
 * operator contain, type and status equal, a range of whole days, RuoYi's sort
 * parameters. `operIp` is filtered too (RuoYi's page sends it and its backend ignores it).
 */
export const auditListQuerySchema = z.object({
  ...pageQueryShape,
  title: queryText(50, 'title: 过长'),
  operName: queryText(50, 'operName: 过长'),
  operIp: queryText(128, 'operIp: 过长'),
  businessType: blankOr(z.enum(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], { error: 'businessType: 只能是 0-9' })),
  status: blankOr(z.enum(['0', '1'], { error: 'status: 只能是 0/1' })),
  beginTime: day('beginTime'),
  endTime: day('endTime'),
  orderByColumn: blankOr(z.enum(AUDIT_ORDER_COLUMNS, { error: `orderByColumn: 只能是 ${AUDIT_ORDER_COLUMNS.join('/')}` })),
  isAsc: blankOr(z.enum(['ascending', 'descending', 'asc', 'desc'], { error: 'isAsc: 只能是 ascending/descending' })),
});

export type AuditListQuery = z.output<typeof auditListQuerySchema>;

/**
 * A record as the list shows it: the row of RuoYi's operation log (`OperLogModel`, the
 * keys its page and detail dialog read), plus who the user was by id, which item, and
 * the client. `operLocation` is empty: no address is looked up.
 */
export const toAuditRow = (record: StoredAuditRecord) => ({
  operId: record.operId,
  title: record.title,
  businessType: record.businessType,
  method: record.method,
  requestMethod: record.requestMethod,
  operatorType: record.operatorType,
  operName: record.operName,
  deptName: record.deptName ?? null,
  operUrl: record.operUrl,
  operIp: record.operIp,
  operLocation: '',
  operParam: record.operParam,
  jsonResult: record.jsonResult,
  status: record.status,
  errorMsg: record.errorMsg ?? null,
  operTime: wireTime(record.operAt),
  costTime: record.costTime,
  userId: publicUserId(record.userId),
  itemId: record.itemId ?? null,
  userAgent: record.userAgent ?? null,
  forwardedFor: record.forwardedFor ?? null,
});

export type AuditRow = ReturnType<typeof toAuditRow>;
