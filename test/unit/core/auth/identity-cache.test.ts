import { describe, expect, it } from 'vitest';
import { createIdentityCache } from '../../../../lambdas/core/auth/identity-cache.ts';

/** The per-token cache on a clock the test moves. */
const setUp = (ttlMs = 1000, maxEntries = 3) => {
  let now = 0;
  const cached = createIdentityCache<string>({ ttlMs, maxEntries, now: () => now });
  const lookups: string[] = [];
  const lookup = (token: string, answer: () => Promise<string> = async () => `id-of-${token}`) =>
    cached(token, () => {
      lookups.push(token);
      return answer();
    });
  return {
    lookup,
    lookups,
    advance: (ms: number) => {
      now += ms;
    },
  };
};

describe('createIdentityCache', () => {
  it('reuses an answer until the interval has passed since the lookup started, then asks again', async () => {
    const { lookup, lookups, advance } = setUp();
    expect(await lookup('a')).toBe('id-of-a');
    advance(999);
    expect(await lookup('a')).toBe('id-of-a');
    expect(lookups).toEqual(['a']);
    advance(1);
    await lookup('a');
    expect(lookups).toEqual(['a', 'a']);
  });

  it('shares one lookup among concurrent callers of a token', async () => {
    const { lookup, lookups } = setUp();
    let release!: (v: string) => void;
    const pending = new Promise<string>((r) => (release = r));
    const calls = [lookup('a', () => pending), lookup('a'), lookup('a')];
    release('shared');
    expect(await Promise.all(calls)).toEqual(['shared', 'shared', 'shared']);
    expect(lookups).toEqual(['a']);
  });

  it('drops a failure at once: every waiting caller gets it, the next call asks again', async () => {
    const { lookup, lookups } = setUp();
    const failing = [lookup('a', async () => Promise.reject(new Error('down'))), lookup('a')];
    for (const call of failing) await expect(call).rejects.toThrow('down');
    expect(await lookup('a')).toBe('id-of-a');
    expect(lookups).toEqual(['a', 'a']);
  });

  it('keeps at most maxEntries tokens, dropping the least recently used', async () => {
    const { lookup, lookups } = setUp(1000, 2);
    await lookup('a');
    await lookup('b');
    await lookup('a');
    await lookup('c');
    await lookup('a');
    await lookup('b');
    expect(lookups).toEqual(['a', 'b', 'c', 'b']);
  });
});
