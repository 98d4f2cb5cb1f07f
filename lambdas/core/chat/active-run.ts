import type { RequestLog } from '../observability/request-log.ts';
import type { TokenUsage } from '../llm/types.ts';
import type { UsageSource } from '../llm/usage.ts';
import type { RunOutcome } from '../sessions/types.ts';
import type { ChatDeps } from './deps.ts';
import type { PreparedRun } from './2-check/prepare-run.ts';
import type { RunStream } from './run-stream.ts';
import type { RunStop } from './stop/run-stop.ts';
import { RUN_MSG } from '../wire/messages.ts';

/** Time kept back from the Lambda timeout to stop the model and store the run. */
export const SAFETY_MARGIN_MS = 10_000;

export interface RunContext {
  log: RequestLog;
  /** Epoch ms the request arrived: `duration` and `timeToFirstToken` count from here. */
  startedAt: number;
  remainingTimeMs(): number;
  /** The caller's `Authorization` header, which RuoYi images are read with. */
  authorization: string | undefined;
}

/** What the run produced so far; whatever the outcome, this is what gets stored. */
export interface Progress {
  content: string[];
  reasoning: string[];
  usage?: TokenUsage;
  /** Where `usage` was read from and how reasoning was counted (the usage record keeps it). */
  usageSource?: UsageSource;
  firstTokenAt?: number;
  /** The prompt's tokens, estimated when the call was made: counted if the provider gives no usage (usage/run-usage.ts). */
  promptTokens?: number;
}

/** One run in flight: what it was given, what it produced, how it is stopped. */
export interface ActiveRun {
  deps: ChatDeps;
  plan: PreparedRun;
  stream: RunStream;
  ctx: RunContext;
  runId: string;
  progress: Progress;
  stop: RunStop;
}

/** How the run ended, once its status item exists. */
export type RunEnd = { status: RunOutcome; error?: string };
/** How the run ends; `not-started` when its status item was never written (nothing is stored then). */
export type Outcome = RunEnd | { status: 'not-started'; error: string };

/** The phases of a run after the checks, in order (execute-run.ts). */
export type PhaseName = 'load inputs' | 'start the call' | 'supervise' | 'finish';

/** A phase could not do its part; `message` is what the user is told (one of RUN_MSG). */
export class PhaseFailure extends Error {
  override name = 'PhaseFailure';
  constructor(
    readonly phase: PhaseName,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Runs a phase's step; whatever it throws becomes the phase's failure, with the phase's message. */
export const asPhase = async <T>(phase: PhaseName, message: string, step: () => Promise<T>): Promise<T> => {
  try {
    return await step();
  } catch (cause) {
    throw cause instanceof PhaseFailure ? cause : new PhaseFailure(phase, message, { cause });
  }
};

/**
 * The one rule for how a failure ends a run. Before the run's status item exists
 * (`started` false: loading inputs, starting the call), the run never started: the user
 * gets the failed phase's message as the error line and nothing is stored (and no
 * provider's reply was read). Once it exists, the run failed: it is stored as failed with
 * that message. A failure that is no phase's (a defect) ends the run the same way, with
 * RUN_MSG.unexpected.
 */
export const endOnFailure = (log: RequestLog, err: unknown, started: boolean): Outcome => {
  const failure = err instanceof PhaseFailure ? err : undefined;
  const error = failure?.message ?? RUN_MSG.unexpected;
  if (failure) log.error('run phase failed', { phase: failure.phase, error: failure.cause as Error });
  else log.error('run failed unexpectedly', err as Error);
  return started ? { status: 'failed', error } : { status: 'not-started', error };
};
