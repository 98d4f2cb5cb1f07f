import { loadInputs } from './3-load-inputs/load-inputs.ts';
import { type StartedCall, startCall } from './4-start-call/start-call.ts';
import { supervise } from './5-supervise/supervise.ts';
import { finish } from './6-finish/finish-run.ts';
import { type ActiveRun, endOnFailure, type Outcome, type RunContext } from './active-run.ts';
import type { ChatDeps } from './deps.ts';
import type { PreparedRun } from './2-check/prepare-run.ts';
import type { RunStream } from './run-stream.ts';
import { createRunStop } from './stop/run-stop.ts';
import { claimNotices } from '../quotas/soft-notice.ts';

/**
 * A run's phases, in the order of the folders beside this file. Phases 1 and 2 (accept
 * the request, check it in one round of reads) end in `prepareRun`'s plan or a refusal
 * (start-chat.ts); `meta` has gone out when this takes over:
 * 3. load inputs: the history and the attached images;
 * 4. start the call: the model request sent beside the status write, its reply read only
 *    once the status item exists and `run_info` is out;
 * 5. supervise: the watchdog until the call ends, and how it ended (stop/);
 * 6. finish: store the run, the closing line, the report.
 * A phase's failure ends the run by one rule (`endOnFailure` in active-run.ts): not
 * started, with the phase's message, if it came before the status item existed (phases
 * 3 and 4); failed, with it, after. Never throws: the returned promise settles once the
 * run is stored (or could not be) and the stream has ended.
 */
export const executeRun = async (deps: ChatDeps, plan: PreparedRun, stream: RunStream, ctx: RunContext): Promise<void> => {
  const stop = createRunStop(stream);
  const active: ActiveRun = { deps, plan, stream, ctx, runId: plan.runId, progress: { content: [], reasoning: [] }, stop };
  ctx.log.appendKeys({ runId: active.runId });
  const notices = showNotices(active);
  const outcome = await runPhases(active);
  // Before the closing line: a notice after it would never be read.
  await notices;
  await finish(active, outcome);
};

/** The soft quotas the checks found passed, each told once per user and period: marked, then written to the stream. */
const showNotices = ({ deps, plan, stream, ctx }: ActiveRun): Promise<void> =>
  claimNotices(deps.runtime, plan.quota.notices).then(
    (messages) => {
      for (const message of messages) stream.notice(message);
    },
    (err: unknown) => ctx.log.warn('quota notices could not be marked', { errorName: (err as Error)?.name }),
  );

const runPhases = async (active: ActiveRun): Promise<Outcome> => {
  const { log } = active.ctx;
  let call: StartedCall;
  try {
    const inputs = await loadInputs(active);
    call = await startCall(active, inputs);
  } catch (err) {
    return endOnFailure(log, err, false);
  }
  return supervise(active, call).catch((err: unknown) => endOnFailure(log, err, true));
};
