import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { LimitedAction } from '../ratelimit/rate-limit.ts';

/**
 * The CloudWatch names the handlers emit and the stack's alarms and dashboard read
 * (lib/monitoring.ts imports these constants, so the two cannot drift apart).
 * Every metric carries Powertools' `service` dimension, which the stack sets per
 * function and stage through POWERTOOLS_SERVICE_NAME.
 */
export const METRICS_NAMESPACE = 'AiChat';

export type RunOutcome = 'completed' | 'cancelled' | 'failed';

export const RUN_OUTCOMES: readonly RunOutcome[] = ['completed', 'cancelled', 'failed'];

export const METRIC = {
  runs: { completed: 'RunsCompleted', cancelled: 'RunsCancelled', failed: 'RunsFailed' },
  timeToFirstToken: 'TimeToFirstToken',
  streamDuration: 'StreamDuration',
  inputTokens: 'InputTokens',
  outputTokens: 'OutputTokens',
  cancels: 'Cancels',
  rateLimitHits: 'RateLimitHits',
  /** A run's cost in units of its price's currency (the ledger keeps the exact millionths). */
  cost: 'Cost',
  /** Everything's cost this month so far, by currency: what the monthly cost alarm reads. */
  monthToDateCost: 'MonthToDateCost',
  auditWriteFailures: 'AuditWriteFailures',
} as const satisfies Record<string, string | Record<RunOutcome, string>>;

/** Extra dimensions: per-model series of runs, tokens and cost, rate-limit hits per action, money per currency. */
export const DIMENSION = { model: 'model', action: 'action', currency: 'currency' } as const;

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

export const metrics = new Metrics({ namespace: METRICS_NAMESPACE });

/** CloudWatch takes ASCII dimension values; a non-ASCII model name is kept distinct by percent-encoding it. */
const MAX_DIMENSION_VALUE = 250;
export const dimensionValue = (raw: string): string => {
  const value = raw.trim();
  if (!value) return 'unknown';
  const ascii = /^[\x20-\x7e]+$/.test(value) ? value : encodeURIComponent(value);
  return ascii.slice(0, MAX_DIMENSION_VALUE);
};

/**
 * Each record is published at once, as its own EMF line: nothing waits for a flush
 * that a handler could forget or that a stream cut short by its timeout never reaches.
 */
const publish = (name: string, unit: Unit, value: number, dimensions?: Record<string, string>): void => {
  if (!Number.isFinite(value) || value < 0) return;
  const single = metrics.singleMetric();
  if (dimensions) single.addDimensions(dimensions);
  single.addMetric(name, unit, value);
};

/** One finished run: once in the total the failed-run alarm reads, once per model. */
export const recordRunOutcome = (outcome: RunOutcome, modelName: string): void => {
  publish(METRIC.runs[outcome], MetricUnit.Count, 1);
  publish(METRIC.runs[outcome], MetricUnit.Count, 1, { [DIMENSION.model]: dimensionValue(modelName) });
};

export const recordTimeToFirstToken = (seconds: number): void => publish(METRIC.timeToFirstToken, MetricUnit.Seconds, seconds);

export const recordStreamDuration = (seconds: number): void => publish(METRIC.streamDuration, MetricUnit.Seconds, seconds);

export const recordTokens = (model: string, input: number, output: number): void => {
  const dimensions = { [DIMENSION.model]: dimensionValue(model) };
  publish(METRIC.inputTokens, MetricUnit.Count, input, dimensions);
  publish(METRIC.outputTokens, MetricUnit.Count, output, dimensions);
};

/** A run's tokens and, for a priced model, its cost: what the ledger counted, by model. */
export const recordUsage = (model: string, usage: { inputTokens: number; outputTokens: number; costMicros: number; price?: { currency: string } }): void => {
  recordTokens(model, usage.inputTokens, usage.outputTokens);
  if (usage.price)
    publish(METRIC.cost, MetricUnit.NoUnit, usage.costMicros / 1_000_000, {
      [DIMENSION.model]: dimensionValue(model),
      [DIMENSION.currency]: usage.price.currency,
    });
};

export const recordMonthToDateCost = (currency: string, micros: number): void =>
  publish(METRIC.monthToDateCost, MetricUnit.NoUnit, micros / 1_000_000, { [DIMENSION.currency]: currency });

export const recordCancel = (): void => publish(METRIC.cancels, MetricUnit.Count, 1);

export const recordRateLimitHit = (action: LimitedAction): void => publish(METRIC.rateLimitHits, MetricUnit.Count, 1, { [DIMENSION.action]: action });

/** An audited operation whose record could not be appended (its log line still has it). */
export const recordAuditWriteFailure = (): void => publish(METRIC.auditWriteFailures, MetricUnit.Count, 1);
