import { describe, expect, it } from 'vitest';
import { memoizeAsync } from '../../lambdas/core/memo.ts';

describe('memoizeAsync', () => {
  it('builds once for concurrent and later callers', async () => {
    let builds = 0;
    const get = memoizeAsync(async () => ({ n: ++builds }));
    const [a, b] = await Promise.all([get(), get()]);
    expect(a).toBe(b);
    expect(await get()).toBe(a);
    expect(builds).toBe(1);
  });

  it('does not keep a failed build: the next call builds again', async () => {
    let builds = 0;
    const get = memoizeAsync(async () => {
      builds += 1;
      if (builds === 1) throw new Error('cold start fault');
      return builds;
    });
    await expect(get()).rejects.toThrow('cold start fault');
    expect(await get()).toBe(2);
    expect(await get()).toBe(2);
  });
});
