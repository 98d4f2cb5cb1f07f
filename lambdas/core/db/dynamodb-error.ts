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
    /** Worth another attempt: throttling, a server fault, a connection that failed. */
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

/** A write's condition was false: the item isn't what the caller required. */
export const isConditionFailed = (err: unknown): boolean => (err as { name?: unknown } | undefined)?.name === 'ConditionalCheckFailedException';

/** Each item's reason a transaction was cancelled for (`None` where that item was fine); undefined for any other error. */
export const cancellationCodes = (err: unknown): string[] | undefined => {
  const e = err as { name?: unknown; CancellationReasons?: DynamoDbErrorFields['CancellationReasons'] } | undefined;
  return e?.name === 'TransactionCanceledException' ? (e.CancellationReasons ?? []).map((r) => r.Code ?? 'None') : undefined;
};

/**
 * Another transaction held an item at the instant of the write (a single write that met it,
 * or a transaction whose only refusals were conflicts): nothing was applied, a new try may pass.
 */
export const isTransactionConflict = (err: unknown): boolean => {
  if ((err as { name?: unknown } | undefined)?.name === 'TransactionConflictException') return true;
  const refused = (cancellationCodes(err) ?? []).filter((code) => code !== 'None');
  return refused.length > 0 && refused.every((code) => code === 'TransactionConflict');
};
