import type { FinishedRun } from '../sessions/final-write.ts';
import type { KeptRunQueue } from './kept-run-queue.ts';
import type { KeptRunStore } from './kept-run-store.ts';

/**
 * A kept run: the input of the final write (sessions/final-write.ts `FinishedRun`), sent
 * as one JSON message to the kept-runs queue, so the drain builds the very transaction
 * the stream could not write. A run too large for one SQS message (1 MiB) waits in the
 * kept-runs bucket instead, and the message names it. A run that never started but whose
 * status write may have landed is kept as the mark that ends it (`failed`). `v` names
 * the format, so a later format can still read this one.
 */
const FORMAT = 1;

/** Bytes of a message body kept inline: SQS takes 1 MiB, with room for its own attributes. */
export const INLINE_MAX_BYTES = 900 * 1024;

/** Every kept run too large for a message is stored under this prefix. */
export const KEPT_RUN_PREFIX = 'runs/';

export const keptRunKey = (runId: string): string => `${KEPT_RUN_PREFIX}${runId}.json`;

export interface KeptRuns {
  queue: KeptRunQueue;
  /** Holds what does not fit in a message. */
  objects: KeptRunStore;
}

interface Message {
  v: number;
  /** Inline: the run itself. */
  run?: FinishedRun['run'];
  followUp?: boolean;
  /** Too large: the object holding it. */
  key?: string;
  /** Not started, its status maybe RUNNING: to be marked failed. */
  failed?: RunOwner;
}

export interface RunOwner {
  runId: string;
  userId: string;
}

/** What one kept-runs message asks the drain to write. */
export type KeptWrite = { kind: 'store'; finished: FinishedRun; key?: string } | { kind: 'fail'; run: RunOwner };

const decode = (text: string): FinishedRun => {
  const parsed = JSON.parse(text) as Message;
  if (parsed.v !== FORMAT || typeof parsed.run?.runId !== 'string') throw new Error(`kept run: unknown format ${String(parsed.v)}`);
  return { run: parsed.run, followUp: parsed.followUp === true };
};

/**
 * Keeps a finished run: sent to the queue, after its text was stored in the bucket when
 * too large for a message. Only the message commits: a bucket object whose message
 * could not be sent is never read, and expires. Throws when it could not be kept by
 * `deadline` (epoch ms).
 */
export const keepRun = async (kept: KeptRuns, finished: FinishedRun, deadline: number): Promise<void> => {
  const inline = JSON.stringify({ v: FORMAT, ...finished } satisfies Message);
  if (Buffer.byteLength(inline) <= INLINE_MAX_BYTES) return kept.queue.send(inline, deadline);
  const key = keptRunKey(finished.run.runId);
  await kept.objects.put(key, inline, deadline);
  await kept.queue.send(JSON.stringify({ v: FORMAT, key } satisfies Message), deadline);
};

/** Keeps the mark that ends a run whose start is unsure (its status write may have landed). */
export const keepFailedMark = (kept: KeptRuns, run: RunOwner, deadline: number): Promise<void> =>
  kept.queue.send(JSON.stringify({ v: FORMAT, failed: { runId: run.runId, userId: run.userId } } satisfies Message), deadline);

/**
 * What a kept-runs message asks for: a run to store (with the object to delete once it is
 * stored), or a run to mark failed; undefined when its object is gone (drained before).
 */
export const readKeptRun = async (objects: KeptRunStore, body: string): Promise<KeptWrite | undefined> => {
  const message = JSON.parse(body) as Message;
  if (message.v === FORMAT && message.failed) return { kind: 'fail', run: message.failed };
  if (!message.key) return { kind: 'store', finished: decode(body) };
  const text = await objects.get(message.key);
  return text === undefined ? undefined : { kind: 'store', finished: decode(text), key: message.key };
};
