/**
 * One shared result of `build` per process; a failed build is retried on the next call
 * instead of cached, so a cold start that hit a passing fault does not poison the instance.
 */
export const memoizeAsync = <T>(build: () => Promise<T>): (() => Promise<T>) => {
  let shared: Promise<T> | undefined;
  return () => {
    shared ??= build().catch((err: unknown) => {
      shared = undefined;
      throw err;
    });
    return shared;
  };
};

/**
 * Puts `key` at the most recently used end of `map` (a Map keeps insertion order) and,
 * past `max` entries, drops the least recently used one: the in-memory caches' LRU.
 */
export const setRecent = <K, V>(map: Map<K, V>, key: K, value: V, max: number): V => {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value!);
  return value;
};
