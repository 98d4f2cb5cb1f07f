import { credentialsFor } from '../db/client.ts';
import { createWire, SQS } from '../db/dynamodb-http.ts';

/** The queue kept runs are sent to: SQS in AWS, the local stack's stand-in locally (local/sqs-server.ts). */
export interface KeptRunQueue {
  /** Sends one message, or throws; nothing waits past `deadline` (epoch ms). SQS answers once it holds the message redundantly. */
  send(body: string, deadline: number): Promise<void>;
}

export interface SqsQueueOptions {
  region: string;
  queueUrl: string;
  /** The local stand-in's endpoint; absent in AWS. */
  endpoint?: string;
}

/**
 * SendMessage over the service's own JSON wire (db/dynamodb-http.ts): no SDK to load in
 * the moment DynamoDB already failed, and its passing failures are retried within the
 * deadline as any call's are (retry.ts).
 */
export const createSqsKeptRunQueue = (options: SqsQueueOptions): KeptRunQueue => {
  const wire = createWire({
    region: options.region,
    endpoint: options.endpoint,
    service: SQS,
    credentials: credentialsFor(options.endpoint),
  });
  return {
    async send(body, deadline) {
      await wire('SendMessage', { QueueUrl: options.queueUrl, MessageBody: body }, deadline);
    },
  };
};
