import { ReplyTooLongError } from '../../llm/reply-limit.ts';
import { describeUpstreamError, type Secrets } from '../../llm/upstream-errors.ts';
import type { RequestLog } from '../../observability/request-log.ts';
import { RUN_MSG, UPSTREAM_MSG } from '../../wire/messages.ts';
import type { RunEnd } from '../active-run.ts';
import type { StopReason } from './run-stop.ts';

/** How a model call ended: `error` is what it threw, absent when it finished. */
export type CallEnd = { error?: unknown };

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
