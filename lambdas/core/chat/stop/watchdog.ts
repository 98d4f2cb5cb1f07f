export type WatchdogStop = 'cancelled' | 'idle' | 'deadline';

export interface WatchdogOptions {
  intervalMs: number;
  /** No upstream chunk for this long stops the run. */
  idleTimeoutMs: number;
  /** Epoch ms past which the run must stop, leaving the function time to persist it. */
  deadline: number;
  /** Reads the run-status item; true once someone cancelled the run. */
  isCancelled(): Promise<boolean>;
  onStop(reason: WatchdogStop): void;
  onPollError(err: unknown): void;
  now?: () => number;
}

export interface Watchdog {
  /** The upstream sent something: the idle clock restarts. Cheap, called per chunk. */
  touch(): void;
  /**
   * The run waits for its client, not its provider: the idle clock stands still until the
   * next `touch`. Cancel and the deadline still stop the run meanwhile.
   */
  hold(): void;
  stop(): void;
}

/**
 * One timer beside the token loop, never inside it: each tick checks the deadline and
 * the idle clock, then polls the run status unless the previous poll is still out.
 */
export const startWatchdog = (options: WatchdogOptions): Watchdog => {
  const now = options.now ?? Date.now;
  let lastSeen = now();
  let held = false;
  let polling = false;
  let stopped = false;
  const fire = (reason: WatchdogStop) => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    options.onStop(reason);
  };
  const timer = setInterval(() => {
    const at = now();
    if (at >= options.deadline) return fire('deadline');
    if (!held && at - lastSeen >= options.idleTimeoutMs) return fire('idle');
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
    touch: () => {
      lastSeen = now();
      held = false;
    },
    hold: () => {
      held = true;
    },
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
};
