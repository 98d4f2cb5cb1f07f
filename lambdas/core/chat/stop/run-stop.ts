import type { RunStream } from '../run-stream.ts';

/** Why a run stopped before its provider finished. */
export type StopReason = 'cancelled' | 'idle' | 'deadline' | 'disconnected';

/**
 * The one home of stopping a run: the signal its model call is aborted through, the
 * first reason given (the one the run ends by: stop-outcome.ts), the client going away,
 * and the idle clock the watchdog reads (watchdog.ts) and the reply's sink keeps.
 */
export interface RunStop {
  readonly signal: AbortSignal;
  /** Stops the call; the first reason given is the one kept. */
  stop(reason: StopReason): void;
  /** Aborts a call whose run never started (its status write failed): there is nothing to end by. */
  abandon(): void;
  reason(): StopReason | undefined;
  /** The provider sent something: the idle clock restarts. Called per chunk, so cheap. */
  seen(): void;
  /** The run waits for its client, not its provider: the idle clock stands still until the next `seen`. */
  hold(): void;
  /** How long the provider has been silent at `at` (epoch ms); 0 while held. */
  idleAt(at: number): number;
}

export const createRunStop = (stream: Pick<RunStream, 'onGone'>, now: () => number = Date.now): RunStop => {
  const controller = new AbortController();
  let first: StopReason | undefined;
  let lastSeen = now();
  let held = false;
  const run: RunStop = {
    signal: controller.signal,
    stop(reason) {
      if (first) return;
      first = reason;
      controller.abort(reason);
    },
    abandon: () => controller.abort('not-started'),
    reason: () => first,
    seen() {
      lastSeen = now();
      held = false;
    },
    hold() {
      held = true;
    },
    idleAt: (at) => (held ? 0 : at - lastSeen),
  };
  stream.onGone(() => run.stop('disconnected'));
  return run;
};
