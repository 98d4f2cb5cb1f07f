import type { DocumentClient } from './client.ts';

/**
 * Next value of an integer sequence kept in one item: an atomic ADD, so concurrent
 * callers never receive the same id.
 */
export const nextSequence = async (db: DocumentClient, tableName: string, key: Record<string, unknown>): Promise<number> => {
  const out = await db.update({
    TableName: tableName,
    Key: key,
    UpdateExpression: 'ADD seq :one',
    ExpressionAttributeValues: { ':one': 1 },
    ReturnValues: 'UPDATED_NEW',
  });
  return Number(out.Attributes?.seq);
};
