import { describe, expect, it } from 'vitest';
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, DeadlinePassedError, LAST_ATTEMPT_MS, type RetryClock, retry } from '../../../lambdas/core/retry.ts';

/** A clock that moves only when told: an attempt's cost and every sleep advance it. */
const fakeClock = (random = 1 - Number.EPSILON) => {
  const state = { at: 0, sleeps: [] as number[] };
  const clock: RetryClock = {
    now: () => state.at,
    sleep: async (ms) => {
      state.sleeps.push(ms);
      state.at += ms;
    },
    random: () => random,
  };
  return { state, clock };
};

class Retryable extends Error {}

/** An attempt that costs `costMs` of the fake clock, fails `failures` times with `error`, then answers. */
const attempts = (state: { at: number }, costMs: number, failures: number, error: () => Error = () => new Retryable('again')) => {
  const started: number[] = [];
  const run = async (n: number) => {
    started.push(state.at);
    state.at += costMs;
    if (n <= failures) throw error();
    return `answer ${n}`;
  };
  return { run, started };
};

const isRetryable = (err: unknown) => err instanceof Retryable;

describe('retry', () => {
  it('repeats a retryable failure for as long as the budget allows, with full-jitter waits that grow to the cap', async () => {
    const { state, clock } = fakeClock();
    const call = attempts(state, 10, 100);
    // Eight attempts take 7 waits just under 50 + 100 + … + 1,600 + 2,000 (the cap) = 5,150 ms, plus 10 ms each;
    // the next full wait would overshoot 6,400, so it is cut for a last attempt LAST_ATTEMPT_MS before the deadline.
    await expect(retry(call.run, { deadline: 6_400, retryable: isRetryable, clock })).rejects.toThrow('again');
    expect(call.started).toHaveLength(9);
    const ceilings = [1, 2, 4, 8, 16, 32, 64].map((k) => Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * k));
    state.sleeps.slice(0, 7).forEach((ms, i) => {
      expect(ms).toBeLessThan(ceilings[i]!);
      expect(ms).toBeGreaterThan(ceilings[i]! * 0.99);
    });
    expect(call.started.at(-1)).toBeCloseTo(6_400 - LAST_ATTEMPT_MS, 0);
  });

  it('waits a random share of the ceiling', async () => {
    const { state, clock } = fakeClock(0.25);
    const call = attempts(state, 0, 2);
    expect(await retry(call.run, { deadline: 60_000, retryable: isRetryable, clock })).toBe('answer 3');
    expect(state.sleeps).toEqual([BACKOFF_BASE_MS * 0.25, BACKOFF_BASE_MS * 2 * 0.25]);
  });

  it('does not repeat a failure that is not retryable', async () => {
    const { state, clock } = fakeClock();
    const call = attempts(state, 10, 1, () => new Error('refused'));
    await expect(retry(call.run, { deadline: 60_000, retryable: isRetryable, clock })).rejects.toThrow('refused');
    expect(call.started).toHaveLength(1);
    expect(state.sleeps).toEqual([]);
  });

  it('never starts an attempt or ends a wait past the deadline, and throws the last failure', async () => {
    for (const deadline of [1, 50, 100, 333, 1_000, 2_500]) {
      const { state, clock } = fakeClock();
      const call = attempts(state, 40, 100, () => new Retryable(`failure at ${state.at}`));
      const failure = await retry(call.run, { deadline, retryable: isRetryable, clock }).catch((err: Error) => err);
      expect(failure).toBeInstanceOf(Retryable);
      expect(call.started.length).toBeGreaterThan(0);
      for (const at of call.started) expect(at).toBeLessThan(deadline);
      // Every wait ended before the deadline: the next attempt started at that time.
      expect(call.started.length).toBe(state.sleeps.length + 1);
    }
  });

  it('rides out a long outage when the budget is long: no count of attempts cuts it short', async () => {
    const { state, clock } = fakeClock(0.5);
    // Failing for 60 s of the fake clock, then answering.
    const call = {
      started: [] as number[],
      run: async (n: number) => {
        call.started.push(state.at);
        state.at += 5;
        if (state.at < 60_000) throw new Retryable('down');
        return `answer ${n}`;
      },
    };
    expect(await retry(call.run, { deadline: 120_000, retryable: isRetryable, clock })).toMatch(/^answer \d+$/);
    expect(call.started.length).toBeGreaterThan(50);
    expect(Math.max(...state.sleeps)).toBeLessThanOrEqual(BACKOFF_CAP_MS * 0.5);
  });

  it('refuses a budget without an end', async () => {
    await expect(retry(async () => 1, { deadline: Number.POSITIVE_INFINITY, retryable: isRetryable })).rejects.toBeInstanceOf(RangeError);
  });

  it('starts nothing once the deadline has passed', async () => {
    const { state, clock } = fakeClock();
    state.at = 5_000;
    const call = attempts(state, 1, 0);
    await expect(retry(call.run, { deadline: 5_000, retryable: isRetryable, clock })).rejects.toBeInstanceOf(DeadlinePassedError);
    expect(call.started).toEqual([]);
  });
});
