import { ServiceError } from '../errors/service-error.ts';

/** At most this many ids in one delete. */
const MAX_IDS = 100;

/**
 * RuoYi's batch-delete path segment, `1,2,3`: every id a positive integer, repeats dropped;
 * `empty` (the contract's message) when none is given.
 */
export const parseIdList = (raw: string, field: string, empty: string): number[] => {
  const parts = raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (!parts.length) throw ServiceError.service(empty);
  if (parts.length > MAX_IDS) throw ServiceError.invalid(`${field}: 一次最多删除${MAX_IDS}个`);
  return [
    ...new Set(
      parts.map((p) => {
        const id = Number(p);
        if (!/^\d+$/.test(p) || !Number.isSafeInteger(id) || id <= 0) throw ServiceError.invalid(`${field}: 必须是正整数`);
        return id;
      }),
    ),
  ];
};
