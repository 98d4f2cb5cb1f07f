import { describe, expect, it } from 'vitest';
import { memoizeAsync, setRecent } from '../../../lambdas/core/memo.ts';

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

describe('setRecent', () => {
  it('keeps the most recently set keys, dropping the least recently used past the limit', () => {
    const map = new Map<string, number>();
    setRecent(map, 'a', 1, 2);
    setRecent(map, 'b', 2, 2);
    setRecent(map, 'a', 3, 2);
    expect(setRecent(map, 'c', 4, 2)).toBe(4);
    expect([...map]).toEqual([
      ['a', 3],
      ['c', 4],
    ]);
  });
});
