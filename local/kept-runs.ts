import { KEPT_RUNS_QUEUE } from '../lib/kept-runs.ts';
import { startSqsEventSource, type SqsHandler } from './sqs-event-source.ts';
import { SqsQueue } from './sqs-queue.ts';
import { type SqsServer, startSqsServer } from './sqs-server.ts';

export interface LocalKeptRunsOptions {
  /** The timing of the queue and its drain; the stack's (lib/kept-runs.ts) unless given. */
  drainTimeoutMs?: number;
  visibilityTimeoutMs?: number;
  maxReceiveCount?: number;
  /** Chance per receive of a second delivery, as a standard queue sometimes makes. */
  duplicateChance?: number;
  random?: () => number;
}

export interface LocalKeptRuns {
  queue: SqsQueue;
  deadLetterQueue: SqsQueue;
  server: SqsServer;
  /** What the stream function and the drain read to reach the queue (the bucket's stand-in is LOCAL_KEPT_RUNS_DIR). */
  env: { SQS_ENDPOINT: string; KEPT_RUNS_QUEUE_URL: string };
  /** Runs the drain on the queue, as Lambda's event source mapping does; until then messages wait. */
  startDrain(handler: SqsHandler): void;
  stop(): Promise<void>;
}

/**
 * The kept-runs path of the stack (lib/kept-runs.ts) on loopback: the queue and its
 * dead-letter queue with SQS's semantics (local/sqs-queue.ts) behind SQS's JSON API
 * (local/sqs-server.ts), and, once started, the drain fed by an event source mapping
 * (local/sqs-event-source.ts) with the stack's batch size, concurrency and timeout.
 */
export const startLocalKeptRuns = async (options: LocalKeptRunsOptions = {}): Promise<LocalKeptRuns> => {
  const deadLetterQueue = new SqsQueue({ name: 'kept-runs-dead-letters', visibilityTimeoutMs: 30_000 });
  const queue = new SqsQueue({
    name: 'kept-runs',
    visibilityTimeoutMs: options.visibilityTimeoutMs ?? KEPT_RUNS_QUEUE.visibilityTimeoutSeconds * 1000,
    redrive: { deadLetterQueue, maxReceiveCount: options.maxReceiveCount ?? KEPT_RUNS_QUEUE.maxReceiveCount },
    duplicateChance: options.duplicateChance,
    random: options.random,
  });
  const server = await startSqsServer([queue, deadLetterQueue]);
  let drain: { stop(): Promise<void> } | undefined;
  return {
    queue,
    deadLetterQueue,
    server,
    env: { SQS_ENDPOINT: server.endpoint, KEPT_RUNS_QUEUE_URL: server.urlOf(queue) },
    startDrain(handler) {
      drain ??= startSqsEventSource({
        queue,
        handler,
        functionName: 'ai-chat-drain-local',
        timeoutMs: options.drainTimeoutMs ?? KEPT_RUNS_QUEUE.drainTimeoutSeconds * 1000,
        batchSize: KEPT_RUNS_QUEUE.batchSize,
        concurrency: KEPT_RUNS_QUEUE.maxConcurrency,
      });
    },
    async stop() {
      await drain?.stop();
      await server.close();
    },
  };
};
