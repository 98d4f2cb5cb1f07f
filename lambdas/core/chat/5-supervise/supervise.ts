import { isRunStopped, readRunState } from '../../sessions/run-status.ts';
import type { ActiveRun, RunEnd } from '../active-run.ts';
import { replyBy } from '../budget.ts';
import type { StartedCall } from '../4-start-call/start-call.ts';
import { classifyEnd } from '../stop/stop-outcome.ts';
import { startWatchdog } from '../stop/watchdog.ts';

/**
 * Phase 5, supervise: the watchdog beside the reply (cancel, idle provider, the function's
 * deadline, kept budget.ts's SAFETY_MARGIN_MS short of its end for storing) until the call ends,
 * then how it ended.
 */
export const supervise = async (active: ActiveRun, call: StartedCall): Promise<RunEnd> => {
  const { deps, ctx, runId, stop } = active;
  const { settings } = deps.runtime;
  const watchdog = startWatchdog({
    intervalMs: settings.CANCEL_POLL_MS,
    idleTimeoutMs: settings.UPSTREAM_IDLE_TIMEOUT_MS,
    deadline: replyBy(ctx.remainingTimeMs),
    run: stop,
    // A vanished status item means the session was deleted mid-run: stop as for a cancel.
    isCancelled: async () => isRunStopped(await readRunState(deps.runtime, runId)),
    onPollError: (err) => ctx.log.warn('run status poll failed', { errorName: (err as Error)?.name }),
  });
  const end = await call.ended;
  watchdog.disarm();
  const prompt = call.planned.request.messages.map((m) => m.text);
  return classifyEnd(stop.reason(), end, { apiKey: active.plan.connection.apiKey, prompt }, ctx.log);
};
