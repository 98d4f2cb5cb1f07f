import { afterAll, afterEach, beforeAll, expect } from 'vitest';

/** Lets pending rejections surface: Node reports them once the microtask queue has drained. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

/**
 * Fails the very case that left a promise rejected with nobody listening (the
 * per-file check in setup-each-file only names the file).
 */
export const failCaseOnUnhandledRejection = (): void => {
  const seen: unknown[] = [];
  const record = (reason: unknown) => seen.push(reason);
  beforeAll(() => {
    process.on('unhandledRejection', record);
  });
  afterEach(async () => {
    await settle();
    expect(seen.splice(0).map(String), 'unhandled rejections during this case').toEqual([]);
  });
  afterAll(() => {
    process.off('unhandledRejection', record);
  });
};
