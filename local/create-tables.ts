import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { tableDefinitions, type KeyAttribute, type TableDefinition } from '../lib/table-definitions.ts';

const keySchema = (pk: KeyAttribute, sk?: KeyAttribute) => [
  { AttributeName: pk.name, KeyType: 'HASH' as const },
  ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' as const }] : []),
];

const attributeDefinitions = (def: TableDefinition) => {
  const all = [def.partitionKey, def.sortKey, ...def.globalIndexes.flatMap((i) => [i.partitionKey, i.sortKey])];
  const byName = new Map(all.filter((a): a is KeyAttribute => !!a).map((a) => [a.name, a]));
  return [...byName.values()].map((a) => ({ AttributeName: a.name, AttributeType: a.type }));
};

/** Local table name for a definition: `<prefix>-<id>`. */
export const localTableName = (prefix: string, def: TableDefinition): string => `${prefix}-${def.id}`;

/** Environment naming each table, as the stack sets it on the functions. */
export const tableEnv = (prefix: string): Record<string, string> =>
  Object.fromEntries(tableDefinitions.map((def) => [def.envVar, localTableName(prefix, def)]));

/** Creates any missing table from the shared definitions (idempotent). */
export const createTables = async (client: DynamoDBClient, prefix: string): Promise<void> => {
  for (const def of tableDefinitions) {
    const TableName = localTableName(prefix, def);
    try {
      await client.send(new DescribeTableCommand({ TableName }));
      continue;
    } catch (err) {
      if (!(err instanceof ResourceNotFoundException)) throw err;
    }
    await client.send(
      new CreateTableCommand({
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: keySchema(def.partitionKey, def.sortKey),
        AttributeDefinitions: attributeDefinitions(def),
        ...(def.globalIndexes.length
          ? {
              GlobalSecondaryIndexes: def.globalIndexes.map((i) => ({
                IndexName: i.indexName,
                KeySchema: keySchema(i.partitionKey, i.sortKey),
                Projection: { ProjectionType: 'ALL' as const },
              })),
            }
          : {}),
      }),
    );
    if (def.timeToLiveAttribute) {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName,
          TimeToLiveSpecification: { AttributeName: def.timeToLiveAttribute, Enabled: true },
        }),
      );
    }
  }
};
