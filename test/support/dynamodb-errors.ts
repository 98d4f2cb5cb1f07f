import type { DbError } from './db-proxy.ts';

/**
 * DynamoDB's own error answers (HTTP status, `__type`, message), as its API reference
 * and error-handling guide give them, for the fault proxy to send in its place.
 */
export const DYNAMODB_ERRORS = {
  /** An on-demand table scaling up: the message DynamoDB sends then. */
  throttling: {
    error: 'ThrottlingException',
    fields: {
      message:
        'Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly. ' +
        'If exceptions persist, check if you have a hot key: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html.',
    },
  },
  provisionedThroughput: {
    error: 'ProvisionedThroughputExceededException',
    fields: {
      message:
        'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
    },
  },
  internalServerError: { error: 'InternalServerError', status: 500, fields: { message: 'Internal server error' } },
  /** A transaction one of whose items was throttled: nothing applied. */
  transactionThrottled: (items: number): DbError => {
    const reasons = Array.from({ length: items }, (_, i) =>
      i === items - 1 ? { Code: 'ThrottlingError', Message: 'Throughput exceeds the current capacity of your table or index.' } : { Code: 'None' },
    );
    return {
      error: 'TransactionCanceledException',
      fields: {
        message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
        CancellationReasons: reasons,
      },
    };
  },
} as const satisfies Record<string, DbError | ((items: number) => DbError)>;
