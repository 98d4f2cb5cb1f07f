import * as z from 'zod/mini';

/** A page number or size from the query string; missing means `fallback`. */
const pageParam = (field: string, max: number, tooBig: string, fallback: number) => {
  const error = `${field}: 必须是正整数`;
  return z._default(z.coerce.number({ error }).check(z.int(error), z.minimum(1, error), z.maximum(max, tooBig)), fallback);
};

/** RuoYi's paging parameters, as its list pages send them: `pageNum` from 1, `pageSize` 10 unless told. */
export const pageQueryShape = {
  pageNum: pageParam('pageNum', 100_000, 'pageNum: 过大', 1),
  pageSize: pageParam('pageSize', 500, 'pageSize: 不能超过500', 10),
};

/** One page of `items` as the envelope's paged answer takes it. */
export const pageOf = <T>(items: T[], query: { pageNum: number; pageSize: number }) => {
  const start = (query.pageNum - 1) * query.pageSize;
  return { rows: items.slice(start, start + query.pageSize), pageNum: query.pageNum, pageSize: query.pageSize, total: items.length };
};
