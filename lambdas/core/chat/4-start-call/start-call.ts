import { callModel } from '../../llm/call-model.ts';
import { createRunStatus } from '../../sessions/run-status.ts';
import { RUN_MSG } from '../../wire/messages.ts';
import type { RunInputs } from '../3-load-inputs/load-inputs.ts';
import { type ActiveRun, asPhase } from '../active-run.ts';
import type { CallEnd } from '../stop/stop-outcome.ts';
import { type PlannedCall, planModelCall } from './plan-call.ts';
import { createReplySink } from './reply-sink.ts';
import { estimatePrompt } from '../../usage/run-usage.ts';
import { callSignal } from '../stop/usage-on-stop.ts';

/** A model call whose run's status item exists: its reply is being handed on. */
export interface StartedCall {
  planned: PlannedCall;
  /** Settles (never rejects) when the call ends. */
  ended: Promise<CallEnd>;
}

const settleCall = (call: Promise<void>): Promise<CallEnd> =>
  call.then(
    () => ({}),
    (error: unknown) => ({ error }),
  );

/** Writes the run's status item; once it exists, `run_info` goes out and the run can be cancelled. */
const createStatus = async (active: ActiveRun): Promise<void> => {
  const { deps, plan } = active;
  await createRunStatus(
    deps.runtime,
    { runId: plan.runId, sessionId: plan.sessionId, userId: plan.identity.userId },
    deps.runtime.settings.RUN_STATUS_TTL_SECONDS,
  );
  active.stream.runInfo(active.runId);
};

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Phase 4, start the call: the model request is planned and sent beside the status write
 * rather than after it (the provider's first token is the slow part), but its reply is
 * read only once the status item exists and `run_info` is out (callModel's `ready`): the
 * run streams nothing it could not be cancelled from. If the status item cannot be
 * written, the call is aborted unread and the phase fails: the run never started.
 */
export const startCall = (active: ActiveRun, inputs: RunInputs): Promise<StartedCall> =>
  asPhase('start the call', RUN_MSG.startFailed, async () => {
    const { deps, plan, stop } = active;
    const planned = planModelCall(deps, {
      connection: plan.connection,
      model: plan.model,
      config: plan.config,
      request: plan.request,
      history: inputs.history,
      images: inputs.images,
    });
    const sink = createReplySink(active, planned.request.reasoning);
    active.progress.promptTokens = estimatePrompt(planned.request.messages);
    const call = callSignal(stop, plan.model.usageOnStop === 'Y', deps.runtime.settings.USAGE_ON_STOP_MS);

    // The status write starts once the model request has gone out (in this turn of the
    // event loop): its own signing and sending would otherwise go first, and the
    // provider's first token comes long after the write is back anyway.
    const created = nextTurn().then(() => createStatus(active));
    const ready = created.then(
      () => true,
      () => false,
    );
    const ended = settleCall(callModel({ ...planned, ready }, sink, call.signal)).finally(() => call.done());
    try {
      await created;
    } catch (err) {
      stop.abandon();
      await ended;
      throw err;
    }
    return { planned, ended };
  });
