import * as z from 'zod/mini';

/** A page number or size from the query string; missing means `fallback`. */
const pageParam = (field: string, max: number, tooBig: string, fallback: number) => {
  const error = `${field}: 必须是正整数`;
  return z._default(z.coerce.number({ error }).check(z.int(error), z.minimum(1, error), z.maximum(max, tooBig)), fallback);
};

/** RuoYi's paging parameters, as its list pages send them (`pageNum` from 1, `pageSize` 10 by default). */
export const pageQueryShape = {
  pageNum: pageParam('pageNum', 100_000, 'pageNum: 过大', 1),
  pageSize: pageParam('pageSize', 500, 'pageSize: 不能超过500', 10),
};

/** An optional text filter from the query string, bounded. */
export const queryText = (max: number, tooLong: string) => z.optional(z.string().check(z.maxLength(max, tooLong)));

/** A text filter as RuoYi's lists apply it (SQL `LIKE %x%`, case-insensitive): no filter matches everything. */
export const containsText = (value: string | null | undefined, needle: string | undefined): boolean =>
  !needle || (value ?? '').toLowerCase().includes(needle.toLowerCase());
