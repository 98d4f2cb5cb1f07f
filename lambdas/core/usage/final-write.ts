import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { DocumentClient } from '../db/client.ts';
import { isTransactionConditionFailed } from '../db/dynamodb-error.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * A run's usage items (ledger-write.ts) on their own, for a run whose session was deleted
 * meanwhile (sessions/final-write.ts): the content goes, the numbers stay. The entry's own
 * condition refuses it when it was written before (a replay of the same end): nothing to do.
 */
export const writeUsageAlone = async (db: DocumentClient, usage: TransactItem[]): Promise<void> => {
  try {
    await db.transactWrite({ TransactItems: usage });
  } catch (err) {
    if (!isTransactionConditionFailed(err)) throw err;
  }
};
