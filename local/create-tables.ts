import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type GlobalSecondaryIndexDescription,
  type Projection,
} from '@aws-sdk/client-dynamodb';
import { tableDefinitions, type IndexDefinition, type KeyAttribute, type TableDefinition } from '../lib/table-definitions.ts';

const keySchema = (pk: KeyAttribute, sk?: KeyAttribute) => [
  { AttributeName: pk.name, KeyType: 'HASH' as const },
  ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' as const }] : []),
];

const attributeDefinitions = (def: TableDefinition) => {
  const all = [def.partitionKey, def.sortKey, ...def.globalIndexes.flatMap((i) => [i.partitionKey, i.sortKey])];
  const byName = new Map(all.filter((a): a is KeyAttribute => !!a).map((a) => [a.name, a]));
  return [...byName.values()].map((a) => ({ AttributeName: a.name, AttributeType: a.type }));
};

const projection = (index: IndexDefinition): Projection =>
  index.nonKeyAttributes ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.nonKeyAttributes] } : { ProjectionType: 'ALL' };

const globalIndexes = (def: TableDefinition): GlobalSecondaryIndex[] =>
  def.globalIndexes.map((i) => ({ IndexName: i.indexName, KeySchema: keySchema(i.partitionKey, i.sortKey), Projection: projection(i) }));

/** Name, keys and projection of each index, in a form that compares equal when they match. */
const indexShapes = (indexes: GlobalSecondaryIndex[] | GlobalSecondaryIndexDescription[] = []) =>
  JSON.stringify(
    indexes
      .map((i) => [
        i.IndexName,
        i.KeySchema?.map((k) => [k.AttributeName, k.KeyType]),
        i.Projection?.ProjectionType,
        [...(i.Projection?.NonKeyAttributes ?? [])].sort(),
      ])
      .sort(),
  );

/** Local table name for a definition: `<prefix>-<id>`. */
export const localTableName = (prefix: string, def: TableDefinition): string => `${prefix}-${def.id}`;

/** Environment naming each table, as the stack sets it on the functions. */
export const tableEnv = (prefix: string): Record<string, string> =>
  Object.fromEntries(tableDefinitions.map((def) => [def.envVar, localTableName(prefix, def)]));

/** The table as DynamoDB Local has it, or undefined when there is none. */
const describe = async (client: DynamoDBClient, TableName: string) => {
  try {
    return (await client.send(new DescribeTableCommand({ TableName }))).Table;
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return undefined;
    throw err;
  }
};

/**
 * Creates any missing table from the shared definitions (idempotent). A table kept in a
 * local data folder from an older definition is refused rather than used: items written
 * now would be missing from (or wrongly kept in) its indexes without a word.
 */
export const createTables = async (client: DynamoDBClient, prefix: string): Promise<void> => {
  for (const def of tableDefinitions) {
    const TableName = localTableName(prefix, def);
    const existing = await describe(client, TableName);
    if (existing) {
      if (indexShapes(existing.GlobalSecondaryIndexes) !== indexShapes(globalIndexes(def))) {
        throw new Error(
          `${TableName} was created with other indexes than lib/table-definitions.ts describes; ` +
            'delete the local data folder (LOCAL_DATA_DIR, .local by default) to recreate it',
        );
      }
      continue;
    }
    await client.send(
      new CreateTableCommand({
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: keySchema(def.partitionKey, def.sortKey),
        AttributeDefinitions: attributeDefinitions(def),
        ...(def.globalIndexes.length ? { GlobalSecondaryIndexes: globalIndexes(def) } : {}),
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
