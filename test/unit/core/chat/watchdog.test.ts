import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startWatchdog, type WatchdogStop } from '../../../../lambdas/core/chat/stop/watchdog.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const watch = (overrides: { cancelled?: () => boolean; deadline?: number } = {}) => {
  const stops: WatchdogStop[] = [];
  const dog = startWatchdog({
    intervalMs: 10,
    idleTimeoutMs: 100,
    deadline: overrides.deadline ?? Date.now() + 1_000_000,
    isCancelled: async () => overrides.cancelled?.() ?? false,
    onStop: (reason) => stops.push(reason),
    onPollError: () => {},
  });
  return { dog, stops };
};

describe('startWatchdog', () => {
  it('stops an idle run, and a touch restarts the idle clock', async () => {
    const { dog, stops } = watch();
    await vi.advanceTimersByTimeAsync(90);
    dog.touch();
    await vi.advanceTimersByTimeAsync(90);
    expect(stops).toEqual([]);
    await vi.advanceTimersByTimeAsync(20);
    expect(stops).toEqual(['idle']);
  });

  it('while held (waiting for the client) the idle clock stands still; cancel and deadline still stop the run', async () => {
    const held = watch();
    held.dog.hold();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(held.stops).toEqual([]);
    held.dog.touch();
    await vi.advanceTimersByTimeAsync(110);
    expect(held.stops).toEqual(['idle']);

    let cancelled = false;
    const cancel = watch({ cancelled: () => cancelled });
    cancel.dog.hold();
    await vi.advanceTimersByTimeAsync(500);
    cancelled = true;
    await vi.advanceTimersByTimeAsync(20);
    expect(cancel.stops).toEqual(['cancelled']);

    const deadline = watch({ deadline: Date.now() + 300 });
    deadline.dog.hold();
    await vi.advanceTimersByTimeAsync(320);
    expect(deadline.stops).toEqual(['deadline']);
  });
});
