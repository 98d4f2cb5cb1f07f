import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';

/**
 * The EMF lines the helpers print are the contract with the alarms and dashboard in
 * lib/monitoring.ts: same namespace, metric names and dimensions.
 */
interface EmfLine {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

process.env.POWERTOOLS_SERVICE_NAME = 'ai-chat-stream-test';
delete process.env.POWERTOOLS_METRICS_DISABLED;
delete process.env.POWERTOOLS_DEV;
const m = await import('../../../lambdas/core/observability/metrics.ts');

let write: MockInstance;
const lines = (): EmfLine[] =>
  write.mock.calls
    .map(([chunk]) => String(chunk))
    .filter((text) => text.includes('"_aws"'))
    .map((text) => JSON.parse(text) as EmfLine);

/** One line's metric as `{name, unit, value, dimensions}`. */
const metricOf = (line: EmfLine) => {
  const [directive] = line._aws.CloudWatchMetrics;
  expect(directive!.Namespace).toBe(m.METRICS_NAMESPACE);
  expect(directive!.Metrics).toHaveLength(1);
  const { Name, Unit } = directive!.Metrics[0]!;
  const dimensions = Object.fromEntries(directive!.Dimensions.flat().map((d) => [d, line[d]]));
  return { name: Name, unit: Unit, value: line[Name], dimensions };
};

beforeEach(() => {
  write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});
afterEach(() => write.mockRestore());

describe('metric helpers', () => {
  it('count a run once in total and once for its model', () => {
    m.recordRunOutcome('failed', 'gpt-4o');
    expect(lines().map(metricOf)).toEqual([
      { name: m.METRIC.runs.failed, unit: 'Count', value: 1, dimensions: { service: 'ai-chat-stream-test' } },
      { name: m.METRIC.runs.failed, unit: 'Count', value: 1, dimensions: { service: 'ai-chat-stream-test', model: 'gpt-4o' } },
    ]);
  });

  it('name every outcome apart', () => {
    for (const outcome of m.RUN_OUTCOMES) m.recordRunOutcome(outcome, 'm');
    const names = lines().map((line) => metricOf(line).name);
    expect(new Set(names)).toEqual(new Set(Object.values(m.METRIC.runs)));
  });

  it('record time to first token and stream duration in seconds', () => {
    m.recordTimeToFirstToken(1.25);
    m.recordStreamDuration(42);
    expect(lines().map(metricOf)).toEqual([
      { name: m.METRIC.timeToFirstToken, unit: 'Seconds', value: 1.25, dimensions: { service: 'ai-chat-stream-test' } },
      { name: m.METRIC.streamDuration, unit: 'Seconds', value: 42, dimensions: { service: 'ai-chat-stream-test' } },
    ]);
  });

  it('record input and output tokens by model', () => {
    m.recordTokens('deepseek-chat', 120, 480);
    expect(lines().map(metricOf)).toEqual([
      { name: m.METRIC.inputTokens, unit: 'Count', value: 120, dimensions: { service: 'ai-chat-stream-test', model: 'deepseek-chat' } },
      { name: m.METRIC.outputTokens, unit: 'Count', value: 480, dimensions: { service: 'ai-chat-stream-test', model: 'deepseek-chat' } },
    ]);
  });

  it('record a run’s tokens by model and its cost by model and currency, in the currency’s units; the month’s cost by currency', () => {
    m.recordUsage('gpt-4o', { inputTokens: 10, outputTokens: 20, costMicros: 1_500_000, price: { currency: 'CNY' } });
    m.recordUsage('free', { inputTokens: 1, outputTokens: 2, costMicros: 0 });
    m.recordMonthToDateCost('USD', 12_345_678);
    const dims = (extra: Record<string, string>) => ({ service: 'ai-chat-stream-test', ...extra });
    expect(lines().map(metricOf)).toEqual([
      { name: m.METRIC.inputTokens, unit: 'Count', value: 10, dimensions: dims({ model: 'gpt-4o' }) },
      { name: m.METRIC.outputTokens, unit: 'Count', value: 20, dimensions: dims({ model: 'gpt-4o' }) },
      { name: m.METRIC.cost, unit: 'None', value: 1.5, dimensions: dims({ model: 'gpt-4o', currency: 'CNY' }) },
      { name: m.METRIC.inputTokens, unit: 'Count', value: 1, dimensions: dims({ model: 'free' }) },
      { name: m.METRIC.outputTokens, unit: 'Count', value: 2, dimensions: dims({ model: 'free' }) },
      { name: m.METRIC.monthToDateCost, unit: 'None', value: 12.345678, dimensions: dims({ currency: 'USD' }) },
    ]);
  });

  it('record cancels and rate-limit hits by action', () => {
    m.recordCancel();
    m.recordRateLimitHit('send');
    expect(lines().map(metricOf)).toEqual([
      { name: m.METRIC.cancels, unit: 'Count', value: 1, dimensions: { service: 'ai-chat-stream-test' } },
      { name: m.METRIC.rateLimitHits, unit: 'Count', value: 1, dimensions: { service: 'ai-chat-stream-test', action: 'send' } },
    ]);
  });

  it('keep non-ASCII model names distinct and valid as dimension values', () => {
    m.recordTokens('通义千问', 1, 1);
    m.recordTokens('文心一言', 1, 1);
    const models = lines().map((line) => metricOf(line).dimensions.model as string);
    expect(models).toEqual([encodeURIComponent('通义千问'), encodeURIComponent('通义千问'), encodeURIComponent('文心一言'), encodeURIComponent('文心一言')]);
    expect(models.every((v) => /^[\x20-\x7e]+$/.test(v))).toBe(true);
  });

  it('drop values that are not a count or a duration', () => {
    m.recordTokens('m', Number.NaN, -1);
    m.recordStreamDuration(Number.POSITIVE_INFINITY);
    expect(lines()).toEqual([]);
  });
});

describe('dimensionValue', () => {
  it('names a blank model and bounds a long one', () => {
    expect(m.dimensionValue('  ')).toBe('unknown');
    expect(m.dimensionValue('x'.repeat(2000))).toHaveLength(250);
    expect(m.dimensionValue(' gpt-4o ')).toBe('gpt-4o');
  });
});
