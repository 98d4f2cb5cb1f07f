import { isServiceError } from '../errors/service-error.ts';
import { wireNow } from '../time.ts';

/** Text of an unexpected failure: details go to the log, never to the caller. */
export const GENERIC_ERROR_MSG = '系统内部错误，请联系管理员';

export interface Envelope {
  code: number;
  msg: string;
  success: boolean;
  time: string;
  data?: unknown;
  [key: string]: unknown;
}

export const ok = (data?: unknown, msg = '操作成功'): Envelope => ({
  code: 200,
  msg,
  ...(data === undefined ? {} : { data }),
  success: true,
  time: wireNow(),
});

export interface Page<T> {
  rows: T[];
  pageNum: number;
  pageSize: number;
  total: number;
}

/** Paged lists put their fields at the top level instead of under `data`. */
export const okPage = <T>(page: Page<T>): Envelope => ({
  code: 200,
  msg: '操作成功',
  rows: page.rows,
  pageNum: page.pageNum,
  pageSize: page.pageSize,
  total: page.total,
  hasNext: page.pageNum * page.pageSize < page.total,
  success: true,
  time: wireNow(),
});

export const fail = (code: number, msg: string): Envelope => ({
  code,
  msg,
  success: false,
  time: wireNow(),
});

/** Turns any thrown value into the envelope; `onUnexpected` receives what must only be logged. */
export const errorEnvelope = (err: unknown, onUnexpected: (err: unknown) => void): Envelope => {
  if (isServiceError(err)) return fail(err.code, err.message);
  onUnexpected(err);
  return fail(500, GENERIC_ERROR_MSG);
};
