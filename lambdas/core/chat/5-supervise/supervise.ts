import type { RequestLog } from '../../observability/request-log.ts';
import { ReplyTooLongError } from '../../llm/reply-limit.ts';
import { describeUpstreamError, type Secrets, UPSTREAM_MSG } from '../../llm/upstream-errors.ts';
import { isRunStopped, readRunState } from '../../sessions/run-status.ts';
import { type ActiveRun, RUN_MSG, type RunEnd, SAFETY_MARGIN_MS } from '../active-run.ts';
import type { CallEnd, StartedCall, StopReason } from '../4-start-call/start-call.ts';
import { startWatchdog } from '../stop/watchdog.ts';

/**
 * How a stopped run ends. A cancel and a client that went away are the user's choice
 * (cancelled); the idle timeout and the function's own time limit are failures the
 * user is told about.
 */
const STOP_OUTCOME: Record<StopReason, RunEnd> = {
  cancelled: { status: 'cancelled' },
  disconnected: { status: 'cancelled' },
  idle: { status: 'failed', error: UPSTREAM_MSG.timeout },
  deadline: { status: 'failed', error: RUN_MSG.timeLimit },
};

/** How a call that ended (or was stopped) ends the run; a stop wins over what the call threw meanwhile. */
export const classifyEnd = (stopReason: StopReason | undefined, end: CallEnd, secrets: Secrets, log: RequestLog): RunEnd => {
  if (stopReason) {
    log.info('run stopped', { reason: stopReason });
    return STOP_OUTCOME[stopReason];
  }
  if (end.error instanceof ReplyTooLongError) {
    log.warn('reply stopped at its bound', { reason: end.error.message });
    return { status: 'failed', error: RUN_MSG.replyTooLong };
  }
  if ('error' in end) {
    const failure = describeUpstreamError(end.error, secrets);
    log.warn('model call failed', { upstream: failure.log });
    return { status: 'failed', error: failure.message };
  }
  return { status: 'completed' };
};

/**
 * Phase 3, supervise: the watchdog beside the reply (cancel, idle provider, the function's
 * deadline, kept SAFETY_MARGIN_MS short of its end for storing) until the call ends,
 * then how it ended.
 */
export const supervise = async (active: ActiveRun, call: StartedCall): Promise<RunEnd> => {
  const { deps, ctx, runId } = active;
  const { settings } = deps.runtime;
  const watchdog = startWatchdog({
    intervalMs: settings.CANCEL_POLL_MS,
    idleTimeoutMs: settings.UPSTREAM_IDLE_TIMEOUT_MS,
    deadline: Date.now() + ctx.remainingTimeMs() - SAFETY_MARGIN_MS,
    // A vanished status item means the session was deleted mid-run: stop as for a cancel.
    isCancelled: async () => isRunStopped(await readRunState(deps.runtime, runId)),
    onStop: call.stop,
    onPollError: (err) => ctx.log.warn('run status poll failed', { errorName: (err as Error)?.name }),
  });
  call.watch(watchdog);
  const end = await call.ended;
  watchdog.stop();
  const prompt = call.planned.request.messages.map((m) => m.text);
  return classifyEnd(call.stopReason(), end, { apiKey: active.plan.connection.apiKey, prompt }, ctx.log);
};
