import type { FinishedRun } from '../sessions/final-write.ts';

/**
 * A kept run: the input of the final write (sessions/final-write.ts `FinishedRun`), as
 * one JSON object in the kept-runs bucket, so the drain builds the very transaction the
 * stream could not write. `v` names the format, so a later format can still read this one.
 */
const FORMAT = 1;

/** Every kept run's key starts here; the bucket notifies the drain's queue of these. */
export const KEPT_RUN_PREFIX = 'runs/';

export const keptRunKey = (runId: string): string => `${KEPT_RUN_PREFIX}${runId}.json`;

export const encodeKeptRun = (finished: FinishedRun): string => JSON.stringify({ v: FORMAT, ...finished });

export const decodeKeptRun = (text: string): FinishedRun => {
  const parsed = JSON.parse(text) as Partial<FinishedRun> & { v?: unknown };
  if (parsed.v !== FORMAT || typeof parsed.run?.runId !== 'string') throw new Error(`kept run: unknown format ${String(parsed.v)}`);
  return { run: parsed.run, followUp: parsed.followUp === true };
};
