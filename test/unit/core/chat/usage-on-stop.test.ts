import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRunStop } from '../../../../lambdas/core/chat/stop/run-stop.ts';
import { callSignal } from '../../../../lambdas/core/chat/stop/usage-on-stop.ts';

const stopOf = () => createRunStop({ onGone: () => {} });

afterEach(() => vi.useRealTimers());

describe('the model call’s signal on a stop', () => {
  it('is the run’s own when the model does not wait for its usage', () => {
    const stop = stopOf();
    expect(callSignal(stop, false, 3_000).signal).toBe(stop.signal);
  });

  it('a cancel or a client gone: the call reads on for the grace, then aborts', () => {
    vi.useFakeTimers();
    for (const reason of ['cancelled', 'disconnected'] as const) {
      const stop = stopOf();
      const call = callSignal(stop, true, 3_000);
      stop.stop(reason);
      expect(call.signal.aborted).toBe(false);
      vi.advanceTimersByTime(2_999);
      expect(call.signal.aborted).toBe(false);
      vi.advanceTimersByTime(1);
      expect(call.signal.aborted).toBe(true);
    }
  });

  it('an idle provider, the deadline or a run that never started: aborted at once', () => {
    for (const end of [
      (s: ReturnType<typeof stopOf>) => s.stop('idle'),
      (s: ReturnType<typeof stopOf>) => s.stop('deadline'),
      (s: ReturnType<typeof stopOf>) => s.abandon(),
    ]) {
      const stop = stopOf();
      const call = callSignal(stop, true, 3_000);
      end(stop);
      expect(call.signal.aborted).toBe(true);
    }
  });

  it('a call that ended leaves no timer behind', () => {
    vi.useFakeTimers();
    const stop = stopOf();
    const call = callSignal(stop, true, 3_000);
    stop.stop('cancelled');
    call.done();
    expect(vi.getTimerCount()).toBe(0);
  });
});
