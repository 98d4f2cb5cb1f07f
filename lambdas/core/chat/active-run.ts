import type { RequestLog } from '../observability/request-log.ts';
import type { TokenUsage } from '../llm/types.ts';
import type { RunOutcome } from '../sessions/types.ts';
import type { ChatDeps } from './deps.ts';
import type { PreparedRun } from './2-check/prepare-run.ts';
import type { RunStream } from './run-stream.ts';

/** Time kept back from the Lambda timeout to stop the model and store the run. */
export const SAFETY_MARGIN_MS = 10_000;

export const RUN_MSG = {
  timeLimit: '生成时间超过上限，已停止生成',
  startFailed: '运行创建失败，请稍后重试',
  historyFailed: '加载会话历史失败，请稍后重试',
  saveFailed: '会话保存失败，本次回复未能保存',
  unexpected: '生成失败，请稍后重试',
  replyTooLong: '回复超过长度上限，已停止生成',
} as const;

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
  firstTokenAt?: number;
}

/** One run in flight: what it was given, what it produced, whether its status item exists. */
export interface ActiveRun {
  deps: ChatDeps;
  plan: PreparedRun;
  stream: RunStream;
  ctx: RunContext;
  runId: string;
  progress: Progress;
  statusCreated: boolean;
}

/** How the run ended, once its status item exists. */
export type RunEnd = { status: RunOutcome; error?: string };
/** How the run ends; `not-started` when its status item was never written (nothing is stored then). */
export type Outcome = RunEnd | { status: 'not-started'; error: string };

/** The phases of a run, in order (execute-run.ts). */
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
 * The one rule for how a failure ends a run. Before the run's status item exists, the
 * run never started: the user gets the failed phase's message as the error line and
 * nothing is stored (and no provider's reply was read). Once it exists, the run failed:
 * it is stored as failed with that message. A failure that is no phase's (a defect)
 * ends the run the same way, with RUN_MSG.unexpected.
 */
export const endOnFailure = (active: Pick<ActiveRun, 'statusCreated' | 'ctx'>, err: unknown): Outcome => {
  const failure = err instanceof PhaseFailure ? err : undefined;
  const error = failure?.message ?? RUN_MSG.unexpected;
  if (failure) active.ctx.log.error('run phase failed', { phase: failure.phase, error: failure.cause as Error });
  else active.ctx.log.error('run failed unexpectedly', err as Error);
  return active.statusCreated ? { status: 'failed', error } : { status: 'not-started', error };
};
