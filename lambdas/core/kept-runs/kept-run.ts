import type { FinishedRun } from '../sessions/final-write.ts';
import type { KeptRunQueue } from './kept-run-queue.ts';
import type { KeptRunStore } from './kept-run-store.ts';

/**
 * A kept run: the input of the final write (sessions/final-write.ts `FinishedRun`), sent
 * as one JSON message to the kept-runs queue, so the drain builds the very transaction
 * the stream could not write. A run too large for one SQS message (1 MiB) waits in the
 * kept-runs bucket instead, and the message names it. `v` names the format, so a later
 * format can still read this one.
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
}

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

/** What a kept-runs message holds: the run, and the object to delete once it is stored; undefined when that object is gone (drained before). */
export const readKeptRun = async (objects: KeptRunStore, body: string): Promise<{ finished: FinishedRun; key?: string } | undefined> => {
  const message = JSON.parse(body) as Message;
  if (!message.key) return { finished: decode(body) };
  const text = await objects.get(message.key);
  return text === undefined ? undefined : { finished: decode(text), key: message.key };
};
