import type { DocumentClient } from './client.ts';

export type WriteRequest = { PutRequest: { Item: Record<string, unknown> } } | { DeleteRequest: { Key: Record<string, unknown> } };

const BATCH_SIZE = 25;
const MAX_ATTEMPTS = 6;

/**
 * Sends write requests in batches of 25, retrying unprocessed ones with backoff; throws
 * if some are still unprocessed after the last attempt, so the caller can report it.
 */
export const batchWriteAll = async (db: DocumentClient, tableName: string, requests: WriteRequest[]): Promise<void> => {
  for (let i = 0; i < requests.length; i += BATCH_SIZE) {
    let pending = requests.slice(i, i + BATCH_SIZE);
    for (let attempt = 0; pending.length; attempt++) {
      if (attempt === MAX_ATTEMPTS) throw new Error(`batch write left ${pending.length} unprocessed items`);
      if (attempt) await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
      const out = await db.batchWrite({ RequestItems: { [tableName]: pending } });
      pending = (out.UnprocessedItems?.[tableName] ?? []) as WriteRequest[];
    }
  }
};
