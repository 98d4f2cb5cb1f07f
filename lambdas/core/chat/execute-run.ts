import { type ActiveRun, endOnFailure, type Outcome, type RunContext } from './active-run.ts';
import type { ChatDeps } from './deps.ts';
import { finish } from './6-finish/finish-run.ts';
import { loadInputs } from './3-load-inputs/load-inputs.ts';
import type { PreparedRun } from './2-check/prepare-run.ts';
import type { RunStream } from './run-stream.ts';
import { startCall } from './4-start-call/start-call.ts';
import { supervise } from './5-supervise/supervise.ts';

/**
 * The streaming part of a run, after `meta` went out, in four phases:
 * 1. load inputs (load-inputs.ts): the history and the attached images;
 * 2. start the call (start-call.ts): the model request sent beside the status write, its
 *    reply read only once the status item exists and `run_info` is out;
 * 3. supervise (supervise.ts): the watchdog until the call ends, and how it ended;
 * 4. finish (finish-run.ts): store the run, the closing line, the report.
 * A phase's failure ends the run by one rule (`endOnFailure` in active-run.ts): not
 * started, with the phase's message, before the status item exists; failed, with it,
 * after. Never throws: the returned promise settles once the run is stored (or could
 * not be) and the stream has ended.
 */
export const executeRun = async (deps: ChatDeps, plan: PreparedRun, stream: RunStream, ctx: RunContext): Promise<void> => {
  const active: ActiveRun = { deps, plan, stream, ctx, runId: plan.runId, progress: { content: [], reasoning: [] }, statusCreated: false };
  ctx.log.appendKeys({ runId: active.runId });
  const outcome = await runPhases(active).catch((err: unknown) => endOnFailure(active, err));
  await finish(active, outcome);
};

const runPhases = async (active: ActiveRun): Promise<Outcome> => {
  const inputs = await loadInputs(active);
  const call = await startCall(active, inputs);
  return supervise(active, call);
};
