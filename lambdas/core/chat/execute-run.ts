import type { Logger } from '@aws-lambda-powertools/logger';
import { imageRefText } from '../images/image-refs.ts';
import { BYTES_PER_MB } from '../images/image-policy.ts';
import { callModel } from '../llm/call-model.ts';
import type { TokenUsage, UpstreamSink } from '../llm/types.ts';
import { upstreamErrorForLog, upstreamErrorMessage, UPSTREAM_MSG } from '../llm/upstream-errors.ts';
import {
  recordRunOutcome,
  recordStreamDuration,
  recordTimeToFirstToken,
  recordTokens,
} from '../observability/metrics.ts';
import { createRunStatus, readRunState } from '../sessions/run-status.ts';
import type { ModelInfo, RunMetrics, RunOutcome, RunRecord } from '../sessions/types.ts';
import type { ChatDeps } from './deps.ts';
import { planModelCall } from './model-call.ts';
import { persistWithRetry } from './persist.ts';
import type { PreparedRun } from './prepare-run.ts';
import { effectiveTemperature, visionEnabled } from './prompt.ts';
import { readPromptImages } from './prompt-images.ts';
import type { RunStream } from './run-stream.ts';
import { startWatchdog, type WatchdogStop } from './watchdog.ts';

/** Time kept back from the Lambda timeout to stop the model and store the run. */
export const SAFETY_MARGIN_MS = 10_000;

export const RUN_MSG = {
  timeLimit: '生成时间超过上限，已停止生成',
  startFailed: '运行创建失败，请稍后重试',
  historyFailed: '加载会话历史失败，请稍后重试',
  saveFailed: '会话保存失败，本次回复未能保存',
  unexpected: '生成失败，请稍后重试',
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

type Outcome = { status: RunOutcome; error?: string } | { status: 'not-started' };

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
  try {
    const outcome = await streamRun(active);
    await finish(active, outcome);
  } catch (err) {
    ctx.log.error('run failed unexpectedly', err as Error);
    if (active.statusCreated) await finish(active, { status: 'failed', error: RUN_MSG.unexpected });
    else {
      stream.error(RUN_MSG.unexpected);
      stream.end();
    }
  }
};

/**
 * Writes the run-status item; once it exists, `run_info` goes out. False (and the error
 * line sent) when it could not be written: the run never started.
 */
const createStatus = async (active: ActiveRun): Promise<boolean> => {
  const { deps, plan } = active;
  try {
    await createRunStatus(deps.runtime, { runId: plan.runId, sessionId: plan.sessionId, userId: plan.identity.userId }, deps.runtime.settings.RUN_STATUS_TTL_SECONDS);
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
    if (!(await createStatus(active))) return { status: 'not-started' };
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
  let touch = () => {};
  const sink: UpstreamSink = {
    seen: () => touch(),
    content(text) {
      if (stopReason) return;
      progress.firstTokenAt ??= Date.now();
      progress.content.push(text);
      stream.content(text);
    },
    reasoning(text) {
      if (!reasoning || stopReason) return;
      progress.firstTokenAt ??= Date.now();
      progress.reasoning.push(text);
      stream.reasoning(text);
    },
    usage(usage) {
      progress.usage = usage;
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
    return { status: 'not-started' };
  }

  const watchdog = startWatchdog({
    intervalMs: settings.CANCEL_POLL_MS,
    idleTimeoutMs: settings.UPSTREAM_IDLE_TIMEOUT_MS,
    deadline: Date.now() + ctx.remainingTimeMs() - SAFETY_MARGIN_MS,
    // A vanished status item means the session was deleted mid-run: stop as for a cancel.
    isCancelled: async () => {
      const state = await readRunState(runtime, runId);
      return state === 'CANCELLED' || state === undefined;
    },
    onStop: stop,
    onPollError: (err) => log.warn('run status poll failed', { errorName: (err as Error)?.name }),
  });
  touch = watchdog.touch;
  const end = await call;
  watchdog.stop();
  if (stopReason) {
    log.info('run stopped', { reason: stopReason });
    return STOP_OUTCOME[stopReason];
  }
  if ('error' in end) {
    log.warn('model call failed', { upstream: upstreamErrorForLog(end.error, plan.connection.apiKey) });
    return { status: 'failed', error: upstreamErrorMessage(end.error) };
  }
  return { status: 'completed' };
};

/** Stores the run, then sends the one closing line, ends the stream, and reports the run. */
const finish = async ({ deps, plan, stream, ctx, runId, progress }: ActiveRun, outcome: Outcome): Promise<void> => {
  const modelName = plan.model.modelName || plan.model.modelCode;
  if (outcome.status === 'not-started') {
    stream.end();
    recordRunOutcome('failed', modelName);
    return;
  }
  // The reply's last lines go out before the store is called, not after its request is built and sent.
  stream.flush();
  const finishedAt = Date.now();
  const usage = progress.usage ?? NO_USAGE;
  const metrics: RunMetrics = {
    ...usage,
    duration: seconds(finishedAt - ctx.startedAt),
    timeToFirstToken: progress.firstTokenAt ? seconds(progress.firstTokenAt - ctx.startedAt) : 0,
  };
  const record: RunRecord = {
    runId,
    sessionId: plan.sessionId,
    userId: plan.identity.userId,
    status: outcome.status,
    userMessage: plan.request.message,
    images: plan.images.map(imageRefText),
    content: progress.content.join(''),
    reasoning: progress.reasoning.join(''),
    metrics,
    model: modelInfo(plan),
    startedAt: ctx.startedAt,
    finishedAt,
    ...(outcome.error ? { error: outcome.error } : {}),
  };
  const saved = await persistWithRetry(deps.runtime, record, !plan.isNewSession);
  if (!saved.stored) ctx.log.error('run could not be stored', saved.error as Error);
  // Only once the store answered: a reply the session will not keep must not end on `metrics`.
  const closingError = outcome.error ?? (saved.stored ? undefined : RUN_MSG.saveFailed);
  if (closingError) stream.error(closingError);
  else if (outcome.status === 'completed') stream.metrics(metrics);
  stream.end();

  recordRunOutcome(outcome.status, modelName);
  recordStreamDuration(metrics.duration);
  if (progress.firstTokenAt) recordTimeToFirstToken(metrics.timeToFirstToken);
  if (progress.usage) recordTokens(modelName, usage.inputTokens, usage.outputTokens);
  ctx.log.info('run finished', {
    outcome: outcome.status,
    stored: saved.stored,
    clientGone: stream.clientGone,
    durationMs: finishedAt - ctx.startedAt,
    timeToFirstTokenMs: progress.firstTokenAt ? progress.firstTokenAt - ctx.startedAt : null,
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    contentChars: record.content.length,
  });
};
