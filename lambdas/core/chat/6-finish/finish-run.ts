import type { RequestLog } from '../../observability/request-log.ts';
import { imageRefText } from '../../images/image-refs.ts';
import type { TokenUsage } from '../../llm/types.ts';
import { recordRunOutcome, recordStreamDuration, recordTimeToFirstToken, recordUsage } from '../../observability/metrics.ts';
import { releaseReservations } from '../../quotas/reservation.ts';
import type { LedgerEntry } from '../../usage/ledger-entry.ts';
import { usageEntry } from './run-usage-entry.ts';
import type { ModelInfo, RunMetrics, RunRecord } from '../../sessions/types.ts';
import type { ActiveRun, Outcome, RunEnd } from '../active-run.ts';
import { persistWithRetry } from './persist.ts';
import type { PreparedRun } from '../2-check/prepare-run.ts';
import { effectiveTemperature } from '../4-start-call/prompt.ts';
import { RUN_MSG } from '../../wire/messages.ts';

/** Of the time SAFETY_MARGIN_MS keeps, kept back from the store: the closing line, the stream's end and the report. */
const CLOSE_MARGIN_MS = 1_000;

const seconds = (ms: number) => Math.round(ms) / 1000;

const NO_USAGE: TokenUsage = { inputTokens: 0, outputTokens: 0, totalTokens: 0, reasoningTokens: 0, cacheReadTokens: 0 };

const modelInfo = (plan: PreparedRun): ModelInfo => ({
  id: plan.model.modelId,
  code: plan.model.modelCode,
  name: plan.model.modelName || plan.model.modelCode,
  provider: plan.model.provider,
  temperature: effectiveTemperature(plan.config, plan.model) ?? null,
});

const modelNameOf = (plan: PreparedRun) => plan.model.modelName || plan.model.modelCode;

/** A step of `finish` that must not stop the steps after it: a failure is logged, never thrown. */
const guarded = (log: RequestLog, what: string, step: () => void): boolean => {
  try {
    step();
    return true;
  } catch (err) {
    log.error(what, err as Error);
    return false;
  }
};

/** The run as it is stored, whatever its outcome, with what it produced up to now. */
const runRecord = ({ plan, ctx, runId, progress }: ActiveRun, outcome: RunEnd, finishedAt: number): RunRecord => ({
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

/**
 * Stores the run with its usage; never throws: `stored` absent when it could not be stored,
 * the cause logged; `entry` the run's ledger entry, once built.
 */
const store = async (active: ActiveRun, record: RunRecord): Promise<{ stored?: RunRecord; entry?: LedgerEntry }> => {
  let entry: LedgerEntry | undefined;
  try {
    entry = usageEntry(active, record);
    // Bounded by the function's own time: a DynamoDB that hangs cannot outlast the function.
    const deadline = Date.now() + active.ctx.remainingTimeMs() - CLOSE_MARGIN_MS;
    const saved = await persistWithRetry(active.deps.runtime, { ...record, usage: entry }, !active.plan.isNewSession, deadline);
    if (saved.stored) return { stored: record, entry };
    active.ctx.log.error('run could not be stored', saved.error as Error);
  } catch (err) {
    active.ctx.log.error('run could not be stored', err as Error);
  }
  return { entry };
};

/**
 * Phase 6, finish: stores the run (unless it never started), then sends the one closing
 * line, ends the stream, and reports the run. Total: every step's failure is logged and
 * the next step still runs, so it never throws (executeRun calls it exactly once).
 */
export const finish = async (active: ActiveRun, outcome: Outcome): Promise<void> => {
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
    // No final write will settle what the send reserved.
    await Promise.resolve()
      .then(() => releaseReservations(active.deps.runtime, plan.quota.reservations))
      .catch((err: unknown) => log.warn('run not started: its quota reservation is left held', { errorName: (err as Error)?.name }));
    return;
  }
  // The reply's last lines go out before the store is called, not after its request is built and sent.
  guarded(log, 'run stream could not be flushed', () => stream.flush());
  const finishedAt = Date.now();
  const { stored, entry } = await store(active, runRecord(active, outcome, finishedAt));
  // Only once the store answered: a reply the session will not keep must not end on `metrics`.
  close(outcome.error ?? (stored ? undefined : RUN_MSG.saveFailed), outcome.status === 'completed' ? (stored?.metrics ?? undefined) : undefined);
  guarded(log, 'run could not be reported', () => {
    const modelName = modelNameOf(plan);
    recordRunOutcome(outcome.status, modelName);
    recordStreamDuration(seconds(finishedAt - ctx.startedAt));
    if (progress.firstTokenAt) recordTimeToFirstToken(seconds(progress.firstTokenAt - ctx.startedAt));
    if (entry) recordUsage(modelName, entry);
    log.info('run finished', {
      outcome: outcome.status,
      stored: stored !== undefined,
      clientGone: stream.clientGone,
      durationMs: finishedAt - ctx.startedAt,
      timeToFirstTokenMs: progress.firstTokenAt ? progress.firstTokenAt - ctx.startedAt : null,
      inputTokens: entry?.inputTokens ?? null,
      outputTokens: entry?.outputTokens ?? null,
      usageSource: progress.usageSource ?? null,
      usageCounted: entry ? (entry.estimate ?? entry.source) : null,
      contentChars: stored?.content.length ?? null,
    });
  });
};
