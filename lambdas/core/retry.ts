/**
 * The one retry policy: a failure worth repeating is tried again after a random wait of
 * up to min(cap, base · 2^(n-1)) ("full jitter", as the AWS SDKs do) for as long as a time
 * budget, given as a deadline, allows: a time budget and not a count of attempts, so a
 * burst of throttles or a storage outage of some seconds is ridden out whenever the caller
 * has the time, and a caller with little time left is never held past it. No attempt
 * starts and no wait ends past the deadline, and the last one starts at least
 * LAST_ATTEMPT_MS before it; then the last failure is thrown as it is.
 *
 * Each kind of failure is retried at one layer only, so retries never multiply: the
 * DynamoDB wire retries what failed in passing (throttles, server faults, lost
 * connections, transactions cancelled for a throttle or a conflict: db/dynamodb-error.ts
 * `isTransient`); above it, a caller retries only what the wire cannot (unprocessed batch
 * items).
 */
export interface RetryOptions {
  /** Epoch ms: the budget's end. Finite: a call that may wait for ever is a defect. */
  deadline: number;
  retryable(err: unknown): boolean;
  clock?: RetryClock;
}

export interface RetryClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** In [0, 1). */
  random(): number;
}

export const BACKOFF_BASE_MS = 50;
export const BACKOFF_CAP_MS = 2_000;
/**
 * A wait that would end closer to the deadline than this is cut short so that one last
 * attempt still has this long: the budget is used to its end rather than given up when
 * the random wait overshoots it.
 */
export const LAST_ATTEMPT_MS = 100;

const realClock: RetryClock = {
  now: Date.now,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/** Thrown when the deadline had passed before a first attempt could start. */
export class DeadlinePassedError extends Error {
  override name = 'DeadlinePassedError';
}

/** Runs `attempt` until it succeeds, fails for good or reaches the deadline. */
export const retry = async <T>(attempt: (n: number) => Promise<T>, options: RetryOptions): Promise<T> => {
  const { now, sleep, random } = options.clock ?? realClock;
  if (!Number.isFinite(options.deadline)) throw new RangeError('retry: the deadline must be finite');
  if (now() >= options.deadline) throw new DeadlinePassedError('no time left for the call');
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (!options.retryable(err)) throw err;
      const left = options.deadline - now() - LAST_ATTEMPT_MS;
      if (left <= 0) throw err;
      await sleep(Math.min(left, random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (n - 1))));
    }
  }
};
