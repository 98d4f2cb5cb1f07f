import type { RunStop, StopReason } from './run-stop.ts';

/** Stops the user chose: the provider is still answering, and will send its usage when it is done. */
const WAITS_FOR_USAGE: ReadonlySet<StopReason | undefined> = new Set(['cancelled', 'disconnected']);

export interface CallSignal {
  /** What the model call is aborted through. */
  signal: AbortSignal;
  /** The call ended: no grace timer is left behind. */
  done(): void;
}

/**
 * The signal a run's model call is aborted through. For a model set to wait for its usage
 * (`usageOnStop`), a cancel or a client gone stops the reply at once (the sink takes no more
 * text once the run has a stop reason) but lets the call read on for `graceMs`, for the
 * provider's usage, which it sends after its last token; an idle provider, the deadline or a
 * run that never started abort at once. Otherwise the call stops with the run.
 */
export const callSignal = (stop: RunStop, waitForUsage: boolean, graceMs: number): CallSignal => {
  if (!waitForUsage) return { signal: stop.signal, done: () => {} };
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const onStop = () => {
    const reason = stop.reason();
    if (!WAITS_FOR_USAGE.has(reason)) controller.abort(stop.signal.reason);
    else timer = setTimeout(() => controller.abort(reason), graceMs);
  };
  if (stop.signal.aborted) onStop();
  else stop.signal.addEventListener('abort', onStop, { once: true });
  return {
    signal: controller.signal,
    done() {
      clearTimeout(timer);
      stop.signal.removeEventListener('abort', onStop);
    },
  };
};
