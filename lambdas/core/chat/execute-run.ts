import type { Logger } from '@aws-lambda-powertools/logger';
import { imageRefText } from '../images/image-refs.ts';
import { BYTES_PER_MB } from '../images/image-policy.ts';
import { callModel } from '../llm/call-model.ts';
import { createReplyLimit, ReplyTooLongError } from '../llm/reply-limit.ts';
import type { TokenUsage, UpstreamSink } from '../llm/types.ts';
import { describeUpstreamError, UPSTREAM_MSG } from '../llm/upstream-errors.ts';
import { recordRunOutcome, recordStreamDuration, recordTimeToFirstToken, recordTokens } from '../observability/metrics.ts';
import { createRunStatus, isRunStopped, readRunState } from '../sessions/run-status.ts';
import type { ModelInfo, RunMetrics, RunOutcome, RunRecord } from '../sessions/types.ts';
import type { ChatDeps } from './deps.ts';
import { planModelCall } from './model-call.ts';
import { persistWithRetry } from './persist.ts';
import type { PreparedRun } from './prepare-run.ts';
import { effectiveTemperature, visionEnabled } from './prompt.ts';
import { readPromptImages } from './prompt-images.ts';
import type { RunStream } from './run-stream.ts';
import { startWatchdog, type Watchdog, type WatchdogStop } from './watchdog.ts';

/** Time kept back from the Lambda timeout to stop the model and store the run. */
export const SAFETY_MARGIN_MS = 10_000;
/** Of that, kept back from the store: the closing line, the stream's end and the report. */
const CLOSE_MARGIN_MS = 1_000;

export const RUN_MSG = {
  timeLimit: '生成时间超过上限，已停止生成',
  startFailed: '运行创建失败，请稍后重试',
  historyFailed: '加载会话历史失败，请稍后重试',
  saveFailed: '会话保存失败，本次回复未能保存',
  unexpected: '生成失败，请稍后重试',
  replyTooLong: '回复超过长度上限，已停止生成',
} as const;

type StopReason = WatchdogStop | 'disconnected';

/**
 * How a stopped run ends. A cancel and a client that went away are the user's choice
 * (cancelled); the idle timeout and the function's own time limit are failures the
 * user is told about.
 */
const STOP_OUTCOME: Record<StopReason, { status: RunOutcome; error?: string }> = {
  cancelled: { status: 'cancelled' },
  disconnected: { status: 'cancelled' },
  idle: { status: 'failed', error: UPSTREAM_MSG.timeout },
  deadline: { status: 'failed', error: RUN_MSG.timeLimit },
};

export interface RunContext {
  log: Logger;
  /** Epoch ms the request arrived: `duration` and `timeToFirstToken` count from here. */
  startedAt: number;
  remainingTimeMs(): number;
  /** The caller's `Authorization` header, which RuoYi images are read with. */
  authorization: string | undefined;
}

/** How a model call ended: `error` is what it threw, absent when it finished. */
type CallEnd = { error?: unknown };

const settleCall = (call: Promise<void>): Promise<CallEnd> =>
  call.then(
    () => ({}),
    (error: unknown) => ({ error }),
  );

const seconds = (ms: number) => Math.round(ms) / 1000;

const NO_USAGE: TokenUsage = { inputTokens: 0, outputTokens: 0, totalTokens: 0, reasoningTokens: 0, cacheReadTokens: 0 };

const modelInfo = (plan: PreparedRun): ModelInfo => ({
  id: plan.model.modelId,
  code: plan.model.modelCode,
  name: plan.model.modelName || plan.model.modelCode,
  provider: plan.model.provider,
  temperature: effectiveTemperature(plan.config, plan.model) ?? null,
});

/** What the run produced so far; whatever the outcome, this is what gets stored. */
interface Progress {
  content: string[];
  reasoning: string[];
  usage?: TokenUsage;
  firstTokenAt?: number;
}

/** One run in flight: what it was given, what it produced, whether its status item exists. */
interface ActiveRun {
  deps: ChatDeps;
  plan: PreparedRun;
  stream: RunStream;
  ctx: RunContext;
  runId: string;
  progress: Progress;
  statusCreated: boolean;
}

/** How the run ends; `not-started` when its status item was never written (nothing is stored then). */
type Outcome = { status: RunOutcome; error?: string } | { status: 'not-started'; error: string };

/**
 * The streaming part of a run, after `meta` went out: history and images, then the
 * model request sent beside the run-status write, `run_info` once the status item
 * exists and only then the model's reply handed on, under the watchdog; then one
 * persistence of the run whatever happened, and the closing line. Never throws: the returned promise
 * settles once the run is stored (or could not be) and the stream has ended.
 */
export const executeRun = async (deps: ChatDeps, plan: PreparedRun, stream: RunStream, ctx: RunContext): Promise<void> => {
  const active: ActiveRun = { deps, plan, stream, ctx, runId: plan.runId, progress: { content: [], reasoning: [] }, statusCreated: false };
  ctx.log.appendKeys({ runId: active.runId });
  const outcome = await streamRun(active).catch((err: unknown): Outcome => {
    ctx.log.error('run failed unexpectedly', err as Error);
    return active.statusCreated ? { status: 'failed', error: RUN_MSG.unexpected } : { status: 'not-started', error: RUN_MSG.unexpected };
  });
  await finish(active, outcome);
};

/**
 * Writes the run-status item; once it exists, `run_info` goes out. False (and the error
 * line sent) when it could not be written: the run never started.
 */
const createStatus = async (active: ActiveRun): Promise<boolean> => {
  const { deps, plan } = active;
  try {
    await createRunStatus(
      deps.runtime,
      { runId: plan.runId, sessionId: plan.sessionId, userId: plan.identity.userId },
      deps.runtime.settings.RUN_STATUS_TTL_SECONDS,
    );
  } catch (err) {
    active.ctx.log.error('run status could not be created', err as Error);
    active.stream.error(RUN_MSG.startFailed);
    return false;
  }
  active.statusCreated = true;
  active.stream.runInfo(active.runId);
  return true;
};

const streamRun = async (active: ActiveRun): Promise<Outcome> => {
  const { deps, plan, stream, ctx, runId, progress } = active;
  const { runtime } = deps;
  const { settings } = runtime;
  const { log } = ctx;
  const [history, images] = await Promise.allSettled([
    plan.history,
    visionEnabled(plan.config, plan.model) && plan.images.length
      ? readPromptImages(
          { store: runtime.images, ruoyi: deps.ruoyiImages },
          plan.images,
          { authorization: ctx.authorization, maxBytes: plan.config.imageMaxSizeMb * BYTES_PER_MB },
          log,
        )
      : Promise.resolve([]),
  ]);
  if (history.status === 'rejected' || images.status === 'rejected') {
    if (!(await createStatus(active))) return { status: 'not-started', error: RUN_MSG.startFailed };
    if (images.status === 'rejected') throw images.reason;
    log.error('session history could not be loaded', (history as PromiseRejectedResult).reason as Error);
    return { status: 'failed', error: RUN_MSG.historyFailed };
  }

  const planned = planModelCall(deps, {
    connection: plan.connection,
    model: plan.model,
    config: plan.config,
    request: plan.request,
    history: history.value,
    images: images.value,
  });
  const { reasoning } = planned.request;
  const controller = new AbortController();
  let stopReason: StopReason | undefined;
  const stop = (reason: StopReason) => {
    if (stopReason) return;
    stopReason = reason;
    controller.abort(reason);
  };
  stream.onGone(() => stop('disconnected'));
  let watchdog: Watchdog | undefined;
  const limit = createReplyLimit({ maxChars: settings.MAX_REPLY_CHARS, maxBytes: settings.MAX_REPLY_BYTES });
  /** Keeps and sends what fits in the reply; past its bound, the call stops with what fit. */
  const bounded = (text: string, into: string[], send: (text: string) => void) => {
    const kept = limit.take(text);
    if (kept) {
      progress.firstTokenAt ??= Date.now();
      into.push(kept);
      send(kept);
    }
    if (limit.exceeded) throw new ReplyTooLongError(`reply exceeded ${settings.MAX_REPLY_CHARS} characters or ${settings.MAX_REPLY_BYTES} bytes`);
  };
  const sink: UpstreamSink = {
    seen: () => watchdog?.touch(),
    content(text) {
      if (!stopReason) bounded(text, progress.content, (kept) => stream.content(kept));
    },
    reasoning(text) {
      if (reasoning && !stopReason) bounded(text, progress.reasoning, (kept) => stream.reasoning(kept));
    },
    usage(usage) {
      progress.usage = usage;
    },
    demand() {
      const behind = stream.demand();
      if (!behind) return undefined;
      // Waiting for the client is not the provider's silence: the idle clock stands still meanwhile.
      watchdog?.hold();
      return behind.then(() => watchdog?.touch());
    },
  };

  // The model request goes out beside the status write rather than after it (the
  // provider's first token is the slow part), but its reply is read only once the status
  // item exists and `run_info` is out: the run streams nothing it could not be cancelled from.
  const started = createStatus(active);
  const call = settleCall(callModel({ ...planned, ready: started }, sink, controller.signal));
  if (!(await started)) {
    controller.abort('not-started');
    await call;
    return { status: 'not-started', error: RUN_MSG.startFailed };
  }

  watchdog = startWatchdog({
    intervalMs: settings.CANCEL_POLL_MS,
    idleTimeoutMs: settings.UPSTREAM_IDLE_TIMEOUT_MS,
    deadline: Date.now() + ctx.remainingTimeMs() - SAFETY_MARGIN_MS,
    // A vanished status item means the session was deleted mid-run: stop as for a cancel.
    isCancelled: async () => isRunStopped(await readRunState(runtime, runId)),
    onStop: stop,
    onPollError: (err) => log.warn('run status poll failed', { errorName: (err as Error)?.name }),
  });
  const end = await call;
  watchdog.stop();
  if (stopReason) {
    log.info('run stopped', { reason: stopReason });
    return STOP_OUTCOME[stopReason];
  }
  if (end.error instanceof ReplyTooLongError) {
    log.warn('reply stopped at its bound', { reason: end.error.message });
    return { status: 'failed', error: RUN_MSG.replyTooLong };
  }
  if ('error' in end) {
    const failure = describeUpstreamError(end.error, {
      apiKey: plan.connection.apiKey,
      prompt: planned.request.messages.map((m) => m.text),
    });
    log.warn('model call failed', { upstream: failure.log });
    return { status: 'failed', error: failure.message };
  }
  return { status: 'completed' };
};

/** A step of `finish` that must not stop the steps after it: a failure is logged, never thrown. */
const guarded = (log: Logger, what: string, step: () => void): boolean => {
  try {
    step();
    return true;
  } catch (err) {
    log.error(what, err as Error);
    return false;
  }
};

const modelNameOf = (plan: PreparedRun) => plan.model.modelName || plan.model.modelCode;

/** The run as it is stored, whatever its outcome, with what it produced up to now. */
const runRecord = ({ plan, ctx, runId, progress }: ActiveRun, outcome: { status: RunOutcome; error?: string }, finishedAt: number): RunRecord => ({
  runId,
  sessionId: plan.sessionId,
  userId: plan.identity.userId,
  status: outcome.status,
  userMessage: plan.request.message,
  images: plan.images.map(imageRefText),
  content: progress.content.join(''),
  reasoning: progress.reasoning.join(''),
  metrics: {
    ...(progress.usage ?? NO_USAGE),
    duration: seconds(finishedAt - ctx.startedAt),
    timeToFirstToken: progress.firstTokenAt ? seconds(progress.firstTokenAt - ctx.startedAt) : 0,
  },
  model: modelInfo(plan),
  startedAt: ctx.startedAt,
  finishedAt,
  ...(outcome.error ? { error: outcome.error } : {}),
});

/** Stores the run; never throws: undefined when it could not be stored, the cause logged. */
const store = async (active: ActiveRun, outcome: { status: RunOutcome; error?: string }, finishedAt: number): Promise<RunRecord | undefined> => {
  try {
    const record = runRecord(active, outcome, finishedAt);
    // Bounded by the function's own time: a DynamoDB that hangs cannot outlast the function.
    const deadline = Date.now() + active.ctx.remainingTimeMs() - CLOSE_MARGIN_MS;
    const saved = await persistWithRetry(active.deps.runtime, record, !active.plan.isNewSession, deadline);
    if (saved.stored) return record;
    active.ctx.log.error('run could not be stored', saved.error as Error);
  } catch (err) {
    active.ctx.log.error('run could not be stored', err as Error);
  }
  return undefined;
};

/**
 * Stores the run, then sends the one closing line, ends the stream, and reports the run.
 * Total: every step's failure is logged and the next step still runs, so a run's end
 * never throws out of the run (executeRun calls it exactly once).
 */
const finish = async (active: ActiveRun, outcome: Outcome): Promise<void> => {
  const { stream, ctx, plan, progress } = active;
  const { log } = ctx;
  const close = (error: string | undefined, metrics?: RunMetrics) => {
    const closed = guarded(log, 'run stream could not be ended', () => {
      if (error) stream.error(error);
      else if (metrics) stream.metrics(metrics);
      stream.end();
    });
    if (!closed) stream.body.destroy();
  };
  if (outcome.status === 'not-started') {
    close(outcome.error);
    guarded(log, 'run could not be reported', () => recordRunOutcome('failed', modelNameOf(plan)));
    return;
  }
  // The reply's last lines go out before the store is called, not after its request is built and sent.
  guarded(log, 'run stream could not be flushed', () => stream.flush());
  const finishedAt = Date.now();
  const stored = await store(active, outcome, finishedAt);
  // Only once the store answered: a reply the session will not keep must not end on `metrics`.
  close(outcome.error ?? (stored ? undefined : RUN_MSG.saveFailed), outcome.status === 'completed' ? (stored?.metrics ?? undefined) : undefined);
  guarded(log, 'run could not be reported', () => {
    const modelName = modelNameOf(plan);
    const usage = progress.usage ?? NO_USAGE;
    recordRunOutcome(outcome.status, modelName);
    recordStreamDuration(seconds(finishedAt - ctx.startedAt));
    if (progress.firstTokenAt) recordTimeToFirstToken(seconds(progress.firstTokenAt - ctx.startedAt));
    if (progress.usage) recordTokens(modelName, usage.inputTokens, usage.outputTokens);
    log.info('run finished', {
      outcome: outcome.status,
      stored: stored !== undefined,
      clientGone: stream.clientGone,
      durationMs: finishedAt - ctx.startedAt,
      timeToFirstTokenMs: progress.firstTokenAt ? progress.firstTokenAt - ctx.startedAt : null,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      contentChars: stored?.content.length ?? null,
    });
  });
};
