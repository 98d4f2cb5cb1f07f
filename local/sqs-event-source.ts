import { randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { localContext } from './lambda-context.ts';
import type { SqsMessage, SqsQueue } from './sqs-queue.ts';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

export interface SqsEventSourceOptions {
  queue: SqsQueue;
  handler: SqsHandler;
  functionName: string;
  /** The function's timeout: its context's remaining time starts here. */
  timeoutMs: number;
  batchSize?: number;
  /** Batches in flight at once (Lambda starts with five pollers). */
  concurrency?: number;
  /** Long-poll wait of each receive. */
  waitMs?: number;
}

const toRecord = (queue: SqsQueue, message: SqsMessage): SQSRecord => ({
  messageId: message.messageId,
  receiptHandle: message.receiptHandle,
  body: message.body,
  attributes: { ...message.attributes, SenderId: 'local' },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: `arn:aws:sqs:local:000000000000:${queue.name}`,
  awsRegion: 'local',
});

/**
 * Lambda's event source mapping for SQS, with ReportBatchItemFailures, as its
 * documentation describes it: long-polls the queue, invokes the function with a batch,
 * then deletes the messages it did not report as failed. An invocation that throws
 * deletes none: they come back after their visibility timeout, until the queue's
 * redrive moves them to its dead-letter queue.
 */
export const startSqsEventSource = (options: SqsEventSourceOptions): { stop(): Promise<void> } => {
  const { queue, handler } = options;
  let running = true;
  const poller = async () => {
    while (running) {
      const messages = await queue.receive(options.batchSize ?? 10, options.waitMs ?? 200);
      if (!messages.length) continue;
      const event: SQSEvent = { Records: messages.map((m) => toRecord(queue, m)) };
      const context = { ...localContext(options.functionName, options.timeoutMs), awsRequestId: randomUUID() };
      try {
        const answer = await handler(event, context);
        const failed = new Set((answer?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        for (const m of messages) if (!failed.has(m.messageId)) queue.delete(m.receiptHandle);
      } catch {
        // The whole batch failed: every message comes back after its visibility timeout.
      }
    }
  };
  const pollers = Array.from({ length: options.concurrency ?? 2 }, poller);
  return {
    async stop() {
      running = false;
      await Promise.all(pollers);
    },
  };
};
