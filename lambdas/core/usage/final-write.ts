import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { DocumentClient } from '../db/client.ts';
import { cancellationCodes, isTransactionConflict } from '../db/dynamodb-error.ts';
import { retry } from '../retry.ts';
import { LEDGER_ENTRY_INDEX } from './ledger-write.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

const ALONE_ATTEMPTS = 4;
const REFUSED = 'ConditionalCheckFailed';

/** The usage items on their own: a run whose session was deleted still counts. An entry already there means it was written. */
const writeUsageAlone = async (db: DocumentClient, usage: TransactItem[]): Promise<void> => {
  try {
    await retry(() => db.transactWrite({ TransactItems: usage }), {
      maxAttempts: ALONE_ATTEMPTS,
      deadline: Number.POSITIVE_INFINITY,
      retryable: isTransactionConflict,
    });
  } catch (err) {
    if (cancellationCodes(err)?.[LEDGER_ENTRY_INDEX] !== REFUSED) throw err;
  }
};

/**
 * A run's final transaction: its session's items, then its usage (usage/ledger-write.ts),
 * together. When DynamoDB cancels it:
 * - the ledger entry refused: an earlier write of this very end went through (a retry after
 *   an answer that was lost, a replay): nothing to do, and nothing was changed twice;
 * - a session item refused and the entry not: the session was deleted meanwhile (its
 *   run-status item with it), so the run is not stored in it, but its usage is, alone; the
 *   cancellation is still thrown, as before, for the caller to report;
 * - anything else is thrown as it is (a conflict the caller retries).
 */
export const writeFinal = async (db: DocumentClient, session: TransactItem[], usage: TransactItem[]): Promise<void> => {
  try {
    await db.transactWrite({ TransactItems: [...session, ...usage] });
  } catch (err) {
    const codes = cancellationCodes(err);
    if (!usage.length || !codes) throw err;
    if (codes[session.length + LEDGER_ENTRY_INDEX] === REFUSED) return;
    if (codes.slice(0, session.length).includes(REFUSED)) await writeUsageAlone(db, usage);
    throw err;
  }
};
