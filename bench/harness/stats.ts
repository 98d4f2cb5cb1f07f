/** Nearest-rank percentile of a sample (p in 0..100); NaN for an empty one. */
export const percentile = (values: readonly number[], p: number): number => {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
};

export const median = (values: readonly number[]): number => percentile(values, 50);

export interface Distribution {
  n: number;
  p50: number;
  p95: number;
  min: number;
  max: number;
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

export const distribution = (values: readonly number[]): Distribution => ({
  n: values.length,
  p50: round(percentile(values, 50)),
  p95: round(percentile(values, 95)),
  min: round(Math.min(...values)),
  max: round(Math.max(...values)),
});

/** Milliseconds since an hrtime mark; hrtime is CLOCK_MONOTONIC, so marks compare across processes. */
export const msSince = (start: bigint, end: bigint = process.hrtime.bigint()): number => Number(end - start) / 1e6;
