import { createHash } from 'node:crypto';
import { setRecent } from '../memo.ts';

export interface IdentityCacheOptions {
  /** How long a lookup's answer is reused, counted from when the lookup started. */
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
}

/**
 * Per-token memo of lookups: concurrent calls for one token share one lookup, a
 * success is reused for `ttlMs`, a failure is dropped at once so the next call asks
 * again. Keys are SHA-256 digests, so no token is held in memory longer than its
 * request; least recently used entries go first past `maxEntries`.
 */
export const createIdentityCache = <T>({ ttlMs, maxEntries, now = Date.now }: IdentityCacheOptions) => {
  const entries = new Map<string, { at: number; value: Promise<T> }>();
  return (token: string, lookup: () => Promise<T>): Promise<T> => {
    const key = createHash('sha256').update(token).digest('base64url');
    const hit = entries.get(key);
    if (hit && now() - hit.at < ttlMs) return setRecent(entries, key, hit, maxEntries).value;
    const entry = { at: now(), value: lookup() };
    entry.value.catch(() => {
      if (entries.get(key) === entry) entries.delete(key);
    });
    return setRecent(entries, key, entry, maxEntries).value;
  };
};
