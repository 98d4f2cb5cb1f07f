import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { drainKeptRun } from '../core/kept-runs/drain.ts';
import { logger } from '../core/observability/logger.ts';
import { recordKeptRunDrained } from '../core/observability/metrics.ts';
import { getDrainDeps } from './runtime.ts';

/** Kept back from the function's timeout: the batch's answer must reach the queue. */
const MARGIN_MS = 2_000;

/**
 * The drain: the stream function sends each run it could not store to the kept-runs
 * queue, and this stores it in DynamoDB with the same final write (kept-runs/drain.ts),
 * retrying DynamoDB's passing failures until shortly before its own timeout. A message
 * whose run DynamoDB did not take by then is reported as failed: the queue shows it
 * again after its visibility timeout, and after maxReceiveCount moves it to the
 * dead-letter queue (lib/kept-runs.ts), whose alarm calls an operator.
 */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event, context: Context) => {
    const deps = await getDrainDeps();
    const deadline = Date.now() + context.getRemainingTimeInMillis() - MARGIN_MS;
    const failed = await Promise.all(
      event.Records.map(async (message) => {
        try {
          const result = await drainKeptRun(deps, message.body, deadline);
          logger.info('kept run drained', { messageId: message.messageId, result, receiveCount: message.attributes.ApproximateReceiveCount });
          if (result !== 'gone') recordKeptRunDrained(result);
          return [];
        } catch (err) {
          logger.warn('kept run not drained yet', { messageId: message.messageId, error: err as Error });
          return [{ itemIdentifier: message.messageId }];
        }
      }),
    );
    return { batchItemFailures: failed.flat() };
  });
