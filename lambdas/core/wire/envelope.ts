import { isServiceError } from '../errors/service-error.ts';
import { wireNow } from '../time.ts';
import { OK_MSG, REFUSAL_MSG } from './messages.ts';

export interface Envelope {
  code: number;
  msg: string;
  success: boolean;
  time: string;
  data?: unknown;
  [key: string]: unknown;
}

export const ok = (data?: unknown, msg: string = OK_MSG.done): Envelope => ({
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

/** One page of everything that matched, as RuoYi pages (`pageNum` from 1). */
export const pageOf = <T>(all: readonly T[], { pageNum, pageSize }: Pick<Page<T>, 'pageNum' | 'pageSize'>): Page<T> => {
  const start = (pageNum - 1) * pageSize;
  return { rows: all.slice(start, start + pageSize), pageNum, pageSize, total: all.length };
};

/** Paged lists put their fields at the top level instead of under `data`. */
export const okPage = <T>(page: Page<T>): Envelope => ({
  code: 200,
  msg: OK_MSG.done,
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
  return fail(500, REFUSAL_MSG.generic);
};
