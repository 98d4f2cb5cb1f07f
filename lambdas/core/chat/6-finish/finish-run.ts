import type { RequestLog } from '../../observability/request-log.ts';
import { imageRefText } from '../../images/image-refs.ts';
import type { TokenUsage } from '../../llm/types.ts';
import { recordRunOutcome, recordStreamDuration, recordTimeToFirstToken, recordUsage } from '../../observability/metrics.ts';
import { releaseReservations } from '../../quotas/reservation.ts';
import { reportMonthCost } from '../../usage/month-cost.ts';
import { usageEntry } from './run-usage-entry.ts';
import { markRunFailed } from '../../sessions/run-status.ts';
import type { ModelInfo, RunMetrics, RunRecord } from '../../sessions/types.ts';
import type { ActiveRun, Outcome, RunEnd } from '../active-run.ts';
import { keepBy, storeBy } from '../budget.ts';
import { isStorageUnavailable } from '../../db/dynamodb-error.ts';
import { keepFailedMark } from '../../kept-runs/kept-run.ts';
import { persistFinishedRun, type Storage } from './persist.ts';
import type { PreparedRun } from '../2-check/prepare-run.ts';
import { effectiveTemperature } from '../4-start-call/prompt.ts';
import { RUN_MSG, runErrorLine } from '../../wire/messages.ts';

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

/** What the user is told of where the reply went, beside how the run ended; nothing when it is stored. */
const STORAGE_NOTE: Record<Storage, string | undefined> = {
  stored: undefined,
  kept: RUN_MSG.replyKept,
  refused: RUN_MSG.saveFailed,
  lost: RUN_MSG.saveFailed,
};

/**
 * The run with its ledger entry (usage/ledger-entry.ts), which its final write stores with it;
 * without one, the defect logged, if the entry cannot be made: the run is stored regardless.
 */
const withUsage = (active: ActiveRun, record: RunRecord): RunRecord => {
  try {
    return { ...record, usage: usageEntry(active, record) };
  } catch (err) {
    active.ctx.log.error('run usage could not be counted', err as Error);
    return record;
  }
};

/**
 * A run that never started may still have its status item, when that write's answer
 * was lost: it is marked failed (a conditional move, nothing if there is no item), so
 * no status stays RUNNING once the stream has ended; with the same budget and fallback
 * as a run's store: storage that stays unavailable gets the mark kept for the drain.
 */
const settleUnsureStart = async (active: ActiveRun) => {
  const { deps, ctx, plan } = active;
  const run = { runId: active.runId, userId: plan.identity.userId };
  const db = deps.runtime.db.until(storeBy(ctx.remainingTimeMs, deps.runtime.settings.STORAGE_PATIENCE_MS));
  try {
    await markRunFailed({ db, tables: deps.runtime.tables }, run);
  } catch (err) {
    if (!isStorageUnavailable(err)) return;
    await keepFailedMark(deps.keptRuns, run, keepBy(ctx.remainingTimeMs)).catch((kept: unknown) =>
      ctx.log.error('unsure run start could be neither marked failed nor kept', kept as Error),
    );
  }
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
    if (outcome.statusUnsure) await settleUnsureStart(active);
    // No final write will settle what the send reserved.
    await Promise.resolve()
      .then(() => releaseReservations(active.deps.runtime, plan.quota.reservations))
      .catch((err: unknown) => log.warn('run not started: its quota reservation is left held', { errorName: (err as Error)?.name }));
    return;
  }
  // The reply's last lines go out before the store is called, not after its request is built and sent.
  guarded(log, 'run stream could not be flushed', () => stream.flush());
  const finishedAt = Date.now();
  const record = withUsage(active, runRecord(active, outcome, finishedAt));
  const storage = await persistFinishedRun(active.deps, { run: record, followUp: !plan.isNewSession }, ctx);
  // Only once the store answered: a reply the session does not hold yet must not end on `metrics`.
  const note = STORAGE_NOTE[storage];
  close(runErrorLine(outcome.error, note), outcome.status === 'completed' && !note ? (record.metrics ?? undefined) : undefined);
  guarded(log, 'run could not be reported', () => {
    const modelName = modelNameOf(plan);
    const { usage } = record;
    recordRunOutcome(outcome.status, modelName);
    recordStreamDuration(seconds(finishedAt - ctx.startedAt));
    if (progress.firstTokenAt) recordTimeToFirstToken(seconds(progress.firstTokenAt - ctx.startedAt));
    if (usage) recordUsage(modelName, usage);
    log.info('run finished', {
      outcome: outcome.status,
      storage,
      clientGone: stream.clientGone,
      durationMs: finishedAt - ctx.startedAt,
      timeToFirstTokenMs: progress.firstTokenAt ? progress.firstTokenAt - ctx.startedAt : null,
      inputTokens: usage?.inputTokens ?? null,
      outputTokens: usage?.outputTokens ?? null,
      usageSource: progress.usageSource ?? null,
      usageCounted: usage ? (usage.estimate ?? usage.source) : null,
      contentChars: record.content.length,
    });
  });
  if (storage === 'stored' && active.deps.runtime.settings.REPORT_MONTH_COST) {
    await reportMonthCost(active.deps.runtime, record.startedAt).catch((err: unknown) =>
      log.warn("month's cost could not be reported", { errorName: (err as Error)?.name }),
    );
  }
};
