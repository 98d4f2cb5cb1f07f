import type { RunStop } from './run-stop.ts';

export interface WatchdogOptions {
  intervalMs: number;
  /** No upstream chunk for this long stops the run. */
  idleTimeoutMs: number;
  /** Epoch ms past which the run must stop, leaving the function time to store it. */
  deadline: number;
  /** The run it stops, and whose idle clock it reads. */
  run: RunStop;
  /** Reads the run-status item; true once someone cancelled the run. */
  isCancelled(): Promise<boolean>;
  onPollError(err: unknown): void;
  now?: () => number;
}

export interface Watchdog {
  /** The run ended: no more ticks. */
  disarm(): void;
}

/**
 * One timer beside the token loop, never inside it: each tick checks the deadline and
 * the idle clock, then polls the run status unless the previous poll is still out. The
 * idle clock starts with it.
 */
export const startWatchdog = (options: WatchdogOptions): Watchdog => {
  const { run } = options;
  const now = options.now ?? Date.now;
  let polling = false;
  let disarmed = false;
  run.seen();
  const fire = (reason: 'cancelled' | 'idle' | 'deadline') => {
    // A poll that answers after the run ended stops nothing.
    if (disarmed) return;
    clearInterval(timer);
    run.stop(reason);
  };
  const timer = setInterval(() => {
    const at = now();
    if (at >= options.deadline) return fire('deadline');
    if (run.idleAt(at) >= options.idleTimeoutMs) return fire('idle');
    if (polling) return;
    polling = true;
    options
      .isCancelled()
      .then((cancelled) => cancelled && fire('cancelled'), options.onPollError)
      .finally(() => {
        polling = false;
      });
  }, options.intervalMs);
  return {
    disarm() {
      disarmed = true;
      clearInterval(timer);
    },
  };
};
