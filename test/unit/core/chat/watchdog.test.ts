import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRunStop, type RunStop } from '../../../../lambdas/core/chat/stop/run-stop.ts';
import { startWatchdog } from '../../../../lambdas/core/chat/stop/watchdog.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A stream stand-in whose client can go away. */
const client = () => {
  let gone: (() => void) | undefined;
  return { stream: { onGone: (listener: () => void) => (gone = listener) }, leave: () => gone?.() };
};

const watch = (overrides: { cancelled?: () => boolean; deadline?: number } = {}) => {
  const run = createRunStop(client().stream);
  const dog = startWatchdog({
    intervalMs: 10,
    idleTimeoutMs: 100,
    deadline: overrides.deadline ?? Date.now() + 1_000_000,
    run,
    isCancelled: async () => overrides.cancelled?.() ?? false,
    onPollError: () => {},
  });
  return { dog, run };
};

describe('createRunStop', () => {
  it('keeps the first reason, aborts the signal once, and stops as disconnected when the client leaves', () => {
    const { stream, leave } = client();
    const run: RunStop = createRunStop(stream);
    expect(run.reason()).toBeUndefined();
    leave();
    run.stop('cancelled');
    expect(run.reason()).toBe('disconnected');
    expect(run.signal.aborted).toBe(true);
    expect(run.signal.reason).toBe('disconnected');
  });

  it('abandon aborts the call without giving the run a reason to end by', () => {
    const run = createRunStop(client().stream);
    run.abandon();
    expect(run.signal.aborted).toBe(true);
    expect(run.reason()).toBeUndefined();
  });
});

describe('startWatchdog', () => {
  it('stops an idle run, and a chunk seen restarts the idle clock', async () => {
    const { run } = watch();
    await vi.advanceTimersByTimeAsync(90);
    run.seen();
    await vi.advanceTimersByTimeAsync(90);
    expect(run.reason()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(20);
    expect(run.reason()).toBe('idle');
  });

  it('while held (waiting for the client) the idle clock stands still; cancel and deadline still stop the run', async () => {
    const held = watch();
    held.run.hold();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(held.run.reason()).toBeUndefined();
    held.run.seen();
    await vi.advanceTimersByTimeAsync(110);
    expect(held.run.reason()).toBe('idle');

    let cancelled = false;
    const cancel = watch({ cancelled: () => cancelled });
    cancel.run.hold();
    await vi.advanceTimersByTimeAsync(500);
    cancelled = true;
    await vi.advanceTimersByTimeAsync(20);
    expect(cancel.run.reason()).toBe('cancelled');

    const deadline = watch({ deadline: Date.now() + 300 });
    deadline.run.hold();
    await vi.advanceTimersByTimeAsync(320);
    expect(deadline.run.reason()).toBe('deadline');
  });

  it('once disarmed, a poll answering late stops nothing', async () => {
    let answer!: (cancelled: boolean) => void;
    const run = createRunStop(client().stream);
    const dog = startWatchdog({
      intervalMs: 10,
      idleTimeoutMs: 1_000,
      deadline: Date.now() + 1_000_000,
      run,
      isCancelled: () => new Promise<boolean>((resolve) => (answer = resolve)),
      onPollError: () => {},
    });
    await vi.advanceTimersByTimeAsync(15);
    dog.disarm();
    answer(true);
    await vi.advanceTimersByTimeAsync(50);
    expect(run.reason()).toBeUndefined();
  });
});
