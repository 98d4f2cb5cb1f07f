import { describe, expect, it, vi } from 'vitest';
import { createQuotaCache, STALE_FACTOR } from '../../../../lambdas/core/quotas/quota-cache.ts';
import type { Quota } from '../../../../lambdas/core/quotas/schema.ts';

const quota = (quotaId: number) => ({ quotaId }) as Quota;

describe('the quotas an instance keeps', () => {
  it('reads once, serves the copy while fresh, serves it while a background read replaces it, then waits past the stale bound', async () => {
    let now = 0;
    let version = 0;
    const load = vi.fn(async () => [quota(++version)]);
    const cache = createQuotaCache(load, 10_000, () => now);
    expect(await cache.current()).toEqual([quota(1)]);
    now = 9_999;
    expect(await cache.current()).toEqual([quota(1)]);
    expect(load).toHaveBeenCalledTimes(1);
    now = 10_000;
    expect(await cache.current()).toEqual([quota(1)]);
    await vi.waitFor(() => expect(load).toHaveBeenCalledTimes(2));
    expect(await cache.current()).toEqual([quota(2)]);
    now += STALE_FACTOR * 10_000;
    const waited = cache.current();
    expect(load).toHaveBeenCalledTimes(3);
    expect(await waited).toEqual([quota(3)]);
  });

  it('shares one read between concurrent callers, and keeps no failed read', async () => {
    const load = vi
      .fn()
      .mockRejectedValueOnce(new Error('down'))
      .mockResolvedValue([quota(1)]);
    const cache = createQuotaCache(load, 10_000, () => 0);
    const both = await Promise.allSettled([cache.current(), cache.current()]);
    expect(both.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await cache.current()).toEqual([quota(1)]);
    expect(load).toHaveBeenCalledTimes(2);
  });
});
