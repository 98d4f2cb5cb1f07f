/**
 * A run's time, cut from its invocation's (the Lambda's remaining time): one home for
 * how long each step may wait, and for what is kept back for the steps after it.
 *
 * A write on the user's path waits out DynamoDB's passing faults (retry.ts) for at most
 * STORAGE_PATIENCE_MS (settings.ts) and never into the time kept for what follows it:
 * - the run's start (rate limit, session claim, reads, the run-status write) by `startBy`,
 *   after which the send is refused as storage unavailable: nothing was generated yet,
 *   so waiting longer would only hold the user for nothing (a start late in the
 *   invocation is then stopped at once by `replyBy`, and stored as failed);
 * - the reply by `replyBy`, SAFETY_MARGIN_MS short of the end;
 * - the final store by `storeBy`, after which the run goes to the durable fallback
 *   (chat/6-finish/keep-run.ts), which has until `keepBy`; the fallback is as safe as
 *   the store, so the user need not wait out a long outage for the closing line.
 */

/** Kept back from the invocation's end when the reply stops: to store the run, or keep it, and close. */
export const SAFETY_MARGIN_MS = 10_000;
/** Kept back for the durable fallback once the store has given up. */
export const KEEP_MARGIN_MS = 4_000;
/** Kept back for the closing line, the stream's end and the report. */
export const CLOSE_MARGIN_MS = 1_000;

/** Epoch ms the invocation ends, from its remaining time. */
export const invocationEnd = (remainingTimeMs: () => number, now = Date.now()): number => now + remainingTimeMs();

const patient = (patienceMs: number, limit: number, now: number) => Math.min(now + patienceMs, limit);

export const startBy = (remainingTimeMs: () => number, patienceMs: number, now = Date.now()): number =>
  patient(patienceMs, invocationEnd(remainingTimeMs, now) - CLOSE_MARGIN_MS - KEEP_MARGIN_MS, now);

export const replyBy = (remainingTimeMs: () => number, now = Date.now()): number => invocationEnd(remainingTimeMs, now) - SAFETY_MARGIN_MS;

export const storeBy = (remainingTimeMs: () => number, patienceMs: number, now = Date.now()): number =>
  patient(patienceMs, invocationEnd(remainingTimeMs, now) - CLOSE_MARGIN_MS - KEEP_MARGIN_MS, now);

export const keepBy = (remainingTimeMs: () => number, now = Date.now()): number => invocationEnd(remainingTimeMs, now) - CLOSE_MARGIN_MS;
