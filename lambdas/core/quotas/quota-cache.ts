import type { Quota } from './schema.ts';

/** A copy this many times older than fresh (5 minutes for the default 10 s) is not used: the check waits for a read. */
export const STALE_FACTOR = 30;

/** The quotas as this instance last read them. */
export interface QuotaCache {
  /** The cached copy while fresh; while stale, the copy, refreshed in the background; past STALE_FACTOR × fresh, a read. */
  current(): Promise<Quota[]>;
}

/**
 * Every send's checks need the quotas, and they change rarely: a copy is kept and served
 * for `freshMs`, then served while one background read replaces it, so the check itself
 * waits for a read only on an instance's first send or after it sat idle for minutes. A
 * failed read is not kept: the next call reads again.
 */
export const createQuotaCache = (load: () => Promise<Quota[]>, freshMs: number, now: () => number = Date.now): QuotaCache => {
  let copy: { quotas: Quota[]; at: number } | undefined;
  let reading: Promise<Quota[]> | undefined;
  const read = () => {
    reading ??= load()
      .then((quotas) => {
        copy = { quotas, at: now() };
        return quotas;
      })
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
  return {
    current() {
      const age = copy ? now() - copy.at : Number.POSITIVE_INFINITY;
      if (!copy || age >= STALE_FACTOR * freshMs) return read();
      if (age >= freshMs) read().catch(() => {});
      return Promise.resolve(copy.quotas);
    },
  };
};
