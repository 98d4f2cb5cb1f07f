import { DeadlinePassedError } from '../retry.ts';

/** What DynamoDB sends with some errors, beside its type and message. */
export interface DynamoDbErrorFields {
  /** TransactionCanceledException: one reason per item, `Code` 'None' where that item was fine. */
  CancellationReasons?: { Code?: string; Message?: string; Item?: Record<string, unknown> }[];
  /** ConditionalCheckFailedException with ReturnValuesOnConditionCheckFailure: the item as it was. */
  Item?: Record<string, unknown>;
}

/**
 * A refusal DynamoDB answered, or a call that never got an answer (`NetworkError`).
 * `name` is DynamoDB's error type (`ConditionalCheckFailedException`, …), as the SDK
 * names its exceptions, so callers tell them apart by name.
 */
export class DynamoDbError extends Error implements DynamoDbErrorFields {
  CancellationReasons?: DynamoDbErrorFields['CancellationReasons'];
  Item?: DynamoDbErrorFields['Item'];

  constructor(
    name: string,
    message: string,
    /** The HTTP status of the answer; absent when there was none. */
    readonly statusCode: number | undefined,
    /** Worth another attempt (`isTransientAnswer`): it failed in passing, and may pass the next time. */
    readonly retryable: boolean,
    fields: DynamoDbErrorFields = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = name;
    if (fields.CancellationReasons) this.CancellationReasons = fields.CancellationReasons;
    if (fields.Item) this.Item = fields.Item;
  }
}

/** Error types DynamoDB means as "slow down" or "try again". */
const TRANSIENT_TYPES = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TransactionInProgressException',
  // A single write that met an item in another transaction's hands (a quota reservation on a counter a final write holds).
  'TransactionConflictException',
  'InternalServerError',
  'ServiceUnavailable',
  // SQS's, for the kept-runs queue on the same wire.
  'RequestThrottled',
]);

/** Why an item of a cancelled transaction was refused when nothing was applied and a new try may pass. */
const TRANSIENT_REASONS = new Set(['ThrottlingError', 'TransactionConflict', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

/**
 * An answer that says the call failed in passing: a server fault (5xx), a throttle, or a
 * transaction DynamoDB cancelled only for a throttled or contended item (it applied
 * nothing; a condition that failed is no passing fault).
 */
export const isTransientAnswer = (status: number, name: string, fields: DynamoDbErrorFields): boolean => {
  if (status >= 500 || TRANSIENT_TYPES.has(name)) return true;
  if (name !== 'TransactionCanceledException') return false;
  const codes = (fields.CancellationReasons ?? []).map((r) => r.Code ?? 'None').filter((c) => c !== 'None');
  return codes.length > 0 && codes.every((c) => TRANSIENT_REASONS.has(c));
};

/** A write's condition was false: the item isn't what the caller required. */
export const isConditionFailed = (err: unknown): boolean => (err as { name?: unknown } | undefined)?.name === 'ConditionalCheckFailedException';

/** A transaction cancelled because one of its conditions was false (the other items may have been fine). */
export const isTransactionConditionFailed = (err: unknown): boolean =>
  err instanceof DynamoDbError &&
  err.name === 'TransactionCanceledException' &&
  (err.CancellationReasons ?? []).some((reason) => reason.Code === 'ConditionalCheckFailed');

/**
 * DynamoDB did not serve the call within its time budget: every attempt failed in passing
 * (or there was no time left for one). What the caller tells its user is "storage is
 * unavailable, try again shortly", never an internal error.
 */
export const isStorageUnavailable = (err: unknown): boolean => (err instanceof DynamoDbError && err.retryable) || err instanceof DeadlinePassedError;
