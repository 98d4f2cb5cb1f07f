import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { sessionsTable } from '../../../lib/table-definitions.ts';
import { createTables, localTableName } from '../../../local/create-tables.ts';

const local = { accessKeyId: 'local', secretAccessKey: 'local' };
const client = new DynamoDBClient({ endpoint: inject('ddbEndpoint'), region: 'us-east-1', credentials: local });
afterAll(() => client.destroy());

const freshPrefix = () => `ct${randomUUID().slice(0, 8)}`;
const key = (AttributeName: string, KeyType: 'HASH' | 'RANGE') => ({ AttributeName, KeyType });

describe('createTables', () => {
  it('builds the byUser index with its included attributes, and accepts the tables it made when run again', async () => {
    const prefix = freshPrefix();
    await createTables(client, prefix);
    await createTables(client, prefix);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: localTableName(prefix, sessionsTable) }));
    expect(Table!.GlobalSecondaryIndexes).toEqual([
      expect.objectContaining({
        IndexName: 'byUser',
        KeySchema: [key('userPk', 'HASH'), key('createdSk', 'RANGE')],
        Projection: {
          ProjectionType: 'INCLUDE',
          NonKeyAttributes: ['sessionId', 'title', 'sessionType', 'userId', 'createdAt', 'updatedAt'],
        },
      }),
    ]);
  });

  it('refuses a sessions table kept from an older definition, whose index is keyed by update time', async () => {
    const prefix = freshPrefix();
    const TableName = localTableName(prefix, sessionsTable);
    await client.send(
      new CreateTableCommand({
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [key('pk', 'HASH'), key('sk', 'RANGE')],
        AttributeDefinitions: ['pk', 'sk', 'userPk', 'updatedSk'].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
        GlobalSecondaryIndexes: [{ IndexName: 'byUser', KeySchema: [key('userPk', 'HASH'), key('updatedSk', 'RANGE')], Projection: { ProjectionType: 'ALL' } }],
      }),
    );
    await expect(createTables(client, prefix)).rejects.toThrow(`${TableName} was created with other indexes`);
    const { Table } = await client.send(new DescribeTableCommand({ TableName }));
    expect(Table!.GlobalSecondaryIndexes?.[0]?.KeySchema).toEqual([key('userPk', 'HASH'), key('updatedSk', 'RANGE')]);
  });
});
