import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Next value of an integer sequence kept in one item: an atomic ADD, so concurrent
 * callers never receive the same id.
 */
export const nextSequence = async (
  db: DynamoDBDocumentClient,
  tableName: string,
  key: Record<string, unknown>,
): Promise<number> => {
  const out = await db.send(
    new UpdateCommand({
      TableName: tableName,
      Key: key,
      UpdateExpression: 'ADD seq :one',
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return Number(out.Attributes?.seq);
};
