import { retry } from '../retry.ts';
import type { DocumentClient } from './client.ts';

export type WriteRequest = { PutRequest: { Item: Record<string, unknown> } } | { DeleteRequest: { Key: Record<string, unknown> } };

const BATCH_SIZE = 25;

/** Some requests of a batch were not processed (DynamoDB's answer to a throttled batch). */
class UnprocessedItems extends Error {
  override name = 'UnprocessedItems';
}

/**
 * Sends write requests in batches of 25, retrying unprocessed ones (retry.ts: the wire
 * retries the calls that failed as a whole, this loop only what a batch left over) within
 * the client's time budget (`db.until`); throws if some are still unprocessed at its end,
 * so the caller can report it.
 */
export const batchWriteAll = async (db: DocumentClient, tableName: string, requests: WriteRequest[]): Promise<void> => {
  const deadline = db.deadline();
  for (let i = 0; i < requests.length; i += BATCH_SIZE) {
    let pending = requests.slice(i, i + BATCH_SIZE);
    await retry(
      async () => {
        const out = await db.batchWrite({ RequestItems: { [tableName]: pending } });
        pending = (out.UnprocessedItems?.[tableName] ?? []) as WriteRequest[];
        if (pending.length) throw new UnprocessedItems(`batch write left ${pending.length} unprocessed items`);
      },
      { deadline, retryable: (err) => err instanceof UnprocessedItems },
    );
  }
};
