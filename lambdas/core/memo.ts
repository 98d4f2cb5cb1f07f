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
