import { afterAll } from 'vitest';

/**
 * Fails the file on any unhandled rejection: a promise nobody awaited is a bug even
 * when every assertion passed.
 */
const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);
process.on('unhandledRejection', onRejection);

afterAll(() => {
  process.off('unhandledRejection', onRejection);
  if (rejections.length) throw new Error(`unhandled rejection: ${String(rejections[0])}`);
});
