import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { Sha256Js } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { credentialsFromEnv, type DocumentClient } from '../../../lambdas/core/db/client.ts';
import { DynamoDbError, isConditionFailed } from '../../../lambdas/core/db/dynamodb-error.ts';
import { createWire, regionEndpoint } from '../../../lambdas/core/db/dynamodb-http.ts';
import { type ItemRead, readItems } from '../../../lambdas/core/db/item-read.ts';
import { signRequest } from '../../../lambdas/core/db/sigv4.ts';
import type { Runtime } from '../../../lambdas/core/runtime.ts';
import { createTestRuntime } from '../../support/test-runtime.ts';

/**
 * The service's own DynamoDB client (lambdas/core/db) against DynamoDB Local, with the
 * SDK's document client as the reference: what one writes the other reads back the same.
 * Its signing is checked against AWS's published SigV4 examples and the SDK's signer,
 * its retries against a server that fails on cue.
 */
let rt: Runtime;
let ours: DocumentClient;
let sdk: DynamoDBDocumentClient;
let table: string;

beforeAll(async () => {
  rt = await createTestRuntime();
  ours = rt.db;
  table = rt.tables.sessions;
  const endpoint = rt.settings.DYNAMODB_ENDPOINT!;
  sdk = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }), {
    marshallOptions: { removeUndefinedValues: true },
  });
});

afterAll(() => sdk.destroy());

/** Every kind of value an item can hold, and an undefined member that must be left out. */
const variedItem = (pk: string) => ({
  pk,
  sk: 'ITEM',
  text: 'héllo 😀 \u0000 "quoted"',
  empty: '',
  count: 42,
  ratio: -0.125,
  big: Number.MAX_SAFE_INTEGER,
  yes: true,
  no: false,
  nothing: null,
  list: [1, 'two', { three: [3] }, null],
  map: { nested: { deeper: ['x'] }, n: 0 },
  tags: new Set(['a', 'b']),
  numbers: new Set([1, 2.5]),
  bytes: new Uint8Array([0, 1, 254, 255]),
  gone: undefined,
});

describe('the document client', () => {
  it('writes what the SDK reads back, and reads what the SDK wrote, value for value', async () => {
    const mine = variedItem(`DBT#${randomUUID()}`);
    await ours.put({ TableName: table, Item: mine });
    const readBySdk = (await sdk.send(new GetCommand({ TableName: table, Key: { pk: mine.pk, sk: 'ITEM' } }))).Item;
    const { gone: _gone, ...expected } = mine;
    expect(readBySdk).toEqual(expected);
    expect(readBySdk).not.toHaveProperty('gone');

    const theirs = variedItem(`DBT#${randomUUID()}`);
    await sdk.send(new PutCommand({ TableName: table, Item: theirs }));
    const { Item } = await ours.get({ TableName: table, Key: { pk: theirs.pk, sk: 'ITEM' }, ConsistentRead: true });
    expect(Item).toEqual(await sdk.send(new GetCommand({ TableName: table, Key: { pk: theirs.pk, sk: 'ITEM' } })).then((o) => o.Item));
  });

  it('pages a query with the key DynamoDB hands back', async () => {
    const pk = `DBT#${randomUUID()}`;
    await ours.batchWrite({
      RequestItems: { [table]: Array.from({ length: 7 }, (_, i) => ({ PutRequest: { Item: { pk, sk: `S#${i}`, i } } })) },
    });
    const seen: number[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    let pages = 0;
    do {
      const out = await ours.query({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        Limit: 3,
        ExclusiveStartKey,
      });
      seen.push(...(out.Items ?? []).map((item) => item.i as number));
      ExclusiveStartKey = out.LastEvaluatedKey;
      pages++;
    } while (ExclusiveStartKey);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(pages).toBe(3);
  });

  it('returns updated attributes as plain values', async () => {
    const pk = `DBT#${randomUUID()}`;
    const out = await ours.update({
      TableName: table,
      Key: { pk, sk: 'C' },
      UpdateExpression: 'ADD n :one SET tags = :tags',
      ExpressionAttributeValues: { ':one': 1, ':tags': ['x', 'y'] },
      ReturnValues: 'ALL_NEW',
    });
    expect(out.Attributes).toEqual({ pk, sk: 'C', n: 1, tags: ['x', 'y'] });
  });

  it('names a failed condition as DynamoDB does, with the old item as plain values', async () => {
    const pk = `DBT#${randomUUID()}`;
    await ours.put({ TableName: table, Item: { pk, sk: 'X', owner: 'a' } });
    const err = await ours
      .update({
        TableName: table,
        Key: { pk, sk: 'X' },
        UpdateExpression: 'SET #o = :b',
        ConditionExpression: '#o = :b',
        ExpressionAttributeNames: { '#o': 'owner' },
        ExpressionAttributeValues: { ':b': 'b' },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DynamoDbError);
    expect(isConditionFailed(err)).toBe(true);
    expect((err as DynamoDbError).Item).toEqual({ pk, sk: 'X', owner: 'a' });
    expect((await ours.get({ TableName: table, Key: { pk, sk: 'X' }, ConsistentRead: true })).Item?.owner).toBe('a');
  });

  it('gives a cancelled transaction its reasons, item by item, and applies none of it', async () => {
    const pk = `DBT#${randomUUID()}`;
    await ours.put({ TableName: table, Item: { pk, sk: 'EXISTS' } });
    const err = (await ours
      .transactWrite({
        TransactItems: [
          { Put: { TableName: table, Item: { pk, sk: 'NEW' } } },
          { Put: { TableName: table, Item: { pk, sk: 'EXISTS' }, ConditionExpression: 'attribute_not_exists(pk)' } },
        ],
      })
      .catch((e: unknown) => e)) as DynamoDbError;
    expect(err.name).toBe('TransactionCanceledException');
    expect(err.CancellationReasons?.map((r) => r.Code)).toEqual(['None', 'ConditionalCheckFailed']);
    expect((await ours.get({ TableName: table, Key: { pk, sk: 'NEW' }, ConsistentRead: true })).Item).toBeUndefined();
  });

  it('refuses a value DynamoDB cannot hold, and writes nothing', async () => {
    const pk = `DBT#${randomUUID()}`;
    await expect(ours.put({ TableName: table, Item: { pk, sk: 'X', when: new Date() } })).rejects.toThrow();
    expect((await sdk.send(new GetCommand({ TableName: table, Key: { pk, sk: 'X' } }))).Item).toBeUndefined();
  });
});

describe('reading several items in one request', () => {
  const read = (tableName: string, key: Record<string, unknown>): ItemRead<Record<string, unknown> | undefined> => ({
    table: tableName,
    key,
    consistent: true,
    parse: (item) => item,
  });

  it('reads items of two tables in one BatchGetItem, each matched to its read, a missing one as absent', async () => {
    const pk = `DBT#${randomUUID()}`;
    const modelId = 900_000 + Math.floor(Math.random() * 1e5);
    await ours.put({ TableName: table, Item: { pk, sk: 'A', tags: new Set(['t']), bytes: new Uint8Array([7]) } });
    await ours.put({ TableName: rt.tables.models, Item: { modelId, modelCode: 'm' } });
    const operations: string[] = [];
    const release = ours.use((next) => (operation, input) => {
      operations.push(operation);
      return next(operation, input);
    });
    try {
      const [missing, model, item] = await readItems(ours, [
        read(table, { pk, sk: 'NONE' }),
        read(rt.tables.models, { modelId }),
        read(table, { pk, sk: 'A' }),
      ]);
      expect(operations).toEqual(['BatchGetItem']);
      expect(missing).toBeUndefined();
      expect(model).toEqual({ modelId, modelCode: 'm' });
      expect(item).toEqual({ pk, sk: 'A', tags: new Set(['t']), bytes: new Uint8Array([7]) });
    } finally {
      release();
    }
  });

  it('reads again, one by one, the keys DynamoDB left unprocessed', async () => {
    const pk = `DBT#${randomUUID()}`;
    await ours.put({ TableName: table, Item: { pk, sk: 'A', n: 1 } });
    await ours.put({ TableName: table, Item: { pk, sk: 'B', n: 2 } });
    const operations: string[] = [];
    // As DynamoDB does when throttled: B is neither answered nor refused, but handed back.
    const release = ours.use((next) => async (operation, input) => {
      operations.push(operation);
      if (operation !== 'BatchGetItem') return next(operation, input);
      const request = (input.RequestItems as Record<string, { Keys: Record<string, unknown>[] }>)[table]!;
      const [kept, left] = [request.Keys.filter((k) => k.sk === 'A'), request.Keys.filter((k) => k.sk === 'B')];
      const out = await next(operation, { RequestItems: { [table]: { ...request, Keys: kept } } });
      return { ...out, UnprocessedKeys: { [table]: { Keys: left } } };
    });
    try {
      const [a, b] = await readItems(ours, [read(table, { pk, sk: 'A' }), read(table, { pk, sk: 'B' })]);
      expect(operations).toEqual(['BatchGetItem', 'GetItem']);
      expect([a?.n, b?.n]).toEqual([1, 2]);
    } finally {
      release();
    }
  });
});

const EXAMPLE_SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A stand-in for DynamoDB: records each request, and answers with what `reply` says. */
const startFake = async (reply: (n: number, req: Received) => 'reset' | 'hang' | { status: number; body: unknown }) => {
  const received: Received[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const call = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
    received.push(call);
    const answer = reply(received.length, call);
    if (answer === 'reset') return req.socket.destroy();
    if (answer === 'hang') return;
    res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify(answer.body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, received, close: () => new Promise((r) => server.close(r)) };
};

let fake: Awaited<ReturnType<typeof startFake>> | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('the wire', () => {
  it('signs AWS’s published SigV4 examples ("get-vanilla", "post-vanilla") to the published signatures', () => {
    const example = (method: string) =>
      signRequest(
        { method, path: '/', headers: { Host: 'example.amazonaws.com' }, body: '' },
        { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: EXAMPLE_SECRET },
        'us-east-1',
        'service',
        new Date('2015-08-30T12:36:00Z'),
      );
    const prefix = 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=';
    expect(example('GET')).toMatchObject({
      'x-amz-date': '20150830T123600Z',
      authorization: `${prefix}5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31`,
    });
    expect(example('POST').authorization).toBe(`${prefix}5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b`);
  });

  it('signs as the SDK’s signer does whichever day, region, service and secret comes next (the day’s key is kept between calls)', async () => {
    const cases = [
      { day: '2026-11-30T23:59:59Z', region: 'us-east-1', service: 'dynamodb', secret: EXAMPLE_SECRET },
      { day: '2026-12-01T00:00:01Z', region: 'us-east-1', service: 'dynamodb', secret: EXAMPLE_SECRET },
      { day: '2026-12-01T00:00:02Z', region: 'eu-west-1', service: 'dynamodb', secret: EXAMPLE_SECRET },
      { day: '2026-12-01T00:00:03Z', region: 'eu-west-1', service: 'service', secret: EXAMPLE_SECRET },
      { day: '2026-12-01T00:00:04Z', region: 'eu-west-1', service: 'service', secret: 'another-secret' },
      { day: '2026-11-30T23:59:59Z', region: 'us-east-1', service: 'dynamodb', secret: EXAMPLE_SECRET },
    ];
    for (const { day, region, service, secret } of cases) {
      const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: secret };
      const request = { method: 'POST', path: '/', headers: { host: 'example.amazonaws.com', 'content-type': 'application/x-amz-json-1.0' }, body: '{}' };
      const ours = signRequest(request, credentials, region, service, new Date(day));
      const sdkSigner = new SignatureV4({ service, region, credentials, sha256: Sha256Js, applyChecksum: false });
      const sdk = await sdkSigner.sign(
        { method: 'POST', protocol: 'https:', hostname: 'example.amazonaws.com', path: '/', query: {}, headers: request.headers, body: request.body },
        { signingDate: new Date(day) },
      );
      expect(ours.authorization).toBe(sdk.headers.authorization);
    }
  });

  it('sends a call signed as the SDK’s signer signs exactly what arrived, session token included', async () => {
    fake = await startFake(() => ({ status: 200, body: { Item: { pk: { S: 'p' } } } }));
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: EXAMPLE_SECRET, sessionToken: 'session-token' };
    const wire = createWire({ region: 'eu-west-1', endpoint: fake.endpoint, credentials: () => credentials });
    expect(await wire('GetItem', { TableName: 't', Key: { pk: { S: 'p' } } }, Date.now() + 5_000)).toEqual({ Item: { pk: { S: 'p' } } });
    const [{ headers, body }] = fake.received as [Received];
    expect(headers['x-amz-target']).toBe('DynamoDB_20120810.GetItem');
    const signedNames = /SignedHeaders=([^,]+),/.exec(String(headers.authorization))![1]!.split(';');
    expect(signedNames).toEqual(['content-length', 'content-type', 'host', 'x-amz-date', 'x-amz-security-token', 'x-amz-target']);

    const sdkSigner = new SignatureV4({ service: 'dynamodb', region: 'eu-west-1', credentials, sha256: Sha256Js, applyChecksum: false });
    const date = String(headers['x-amz-date']).replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z');
    const url = new URL(fake.endpoint);
    const resigned = await sdkSigner.sign(
      {
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        port: Number(url.port),
        path: '/',
        query: {},
        headers: Object.fromEntries(signedNames.filter((n) => !n.startsWith('x-amz-date') && n !== 'x-amz-security-token').map((n) => [n, String(headers[n])])),
        body,
      },
      { signingDate: new Date(date) },
    );
    expect(headers.authorization).toBe(resigned.headers.authorization);
  });

  const credentials = () => ({ accessKeyId: 'a', secretAccessKey: 'b' });
  const soon = (ms = 5_000) => Date.now() + ms;
  const throttle = { status: 400, body: { __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message: 'slow down' } } as const;

  it('retries a dropped connection and a throttle, keeping one idempotency token for a transaction', async () => {
    fake = await startFake((n) => (n === 1 ? 'reset' : n === 2 ? throttle : { status: 200, body: {} }));
    const wire = createWire({ region: 'us-east-1', endpoint: fake.endpoint, credentials });
    await wire('TransactWriteItems', { TransactItems: [] }, soon());
    const tokens = fake.received.map((r) => (JSON.parse(r.body) as { ClientRequestToken?: string }).ClientRequestToken);
    expect(tokens).toHaveLength(3);
    expect(tokens[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(tokens).size).toBe(1);
  });

  it('retries a transaction cancelled for a throttled item with a new token, and not one cancelled by a condition', async () => {
    const cancelled = (code: string) => ({
      status: 400,
      body: {
        __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
        message: `Transaction cancelled, please refer cancellation reasons for specific reasons [None, ${code}]`,
        CancellationReasons: [{ Code: 'None' }, { Code: code }],
      },
    });
    fake = await startFake((n) => (n === 1 ? cancelled('ThrottlingError') : { status: 200, body: {} }));
    const wire = createWire({ region: 'us-east-1', endpoint: fake.endpoint, credentials });
    await wire('TransactWriteItems', { TransactItems: [] }, soon());
    const tokens = fake.received.map((r) => (JSON.parse(r.body) as { ClientRequestToken?: string }).ClientRequestToken);
    expect(new Set(tokens).size).toBe(2);

    await fake.close();
    fake = await startFake(() => cancelled('ConditionalCheckFailed'));
    const refusing = createWire({ region: 'us-east-1', endpoint: fake.endpoint, credentials });
    await expect(refusing('TransactWriteItems', { TransactItems: [] }, soon())).rejects.toMatchObject({
      name: 'TransactionCanceledException',
      retryable: false,
    });
    expect(fake.received).toHaveLength(1);
  });

  it('does not repeat a refusal; repeats a passing failure until the budget ends, then throws it', async () => {
    fake = await startFake(() => ({ status: 400, body: { __type: 'com.amazonaws.dynamodb.v20120810#ValidationException', message: 'bad key' } }));
    const wire = createWire({ region: 'us-east-1', endpoint: fake.endpoint, credentials });
    await expect(wire('GetItem', {}, soon())).rejects.toMatchObject({ name: 'ValidationException', message: 'bad key', statusCode: 400, retryable: false });
    expect(fake.received).toHaveLength(1);

    await fake.close();
    fake = await startFake(() => ({ status: 503, body: 'not json' }));
    const failing = createWire({ region: 'us-east-1', endpoint: fake.endpoint, credentials });
    const started = Date.now();
    await expect(failing('GetItem', {}, soon(1_500))).rejects.toMatchObject({ name: 'HttpStatus503', retryable: true });
    // No count stops it: attempts go on, with growing waits, until the budget is spent.
    expect(fake.received.length).toBeGreaterThan(3);
    expect(Date.now() - started).toBeLessThan(1_500 + 500);
  });

  it('runs no attempt and waits for no answer past the call’s deadline', async () => {
    fake = await startFake(() => 'hang');
    const wire = createWire({ region: 'us-east-1', endpoint: fake.endpoint, credentials });
    // The answer never comes: the attempt is dropped at the deadline (not after its own 5 s) and none follows.
    const deadline = Date.now() + 300;
    await expect(wire('GetItem', {}, deadline)).rejects.toMatchObject({ name: 'NetworkError' });
    expect(fake.received).toHaveLength(1);
    await expect(wire('GetItem', {}, Date.now())).rejects.toMatchObject({ name: 'DeadlinePassedError' });
    expect(fake.received).toHaveLength(1);
  });

  it('calls the region’s endpoint with the function’s credentials from the environment', () => {
    expect(regionEndpoint('eu-central-1')).toBe('https://dynamodb.eu-central-1.amazonaws.com');
    expect(regionEndpoint('cn-north-1')).toBe('https://dynamodb.cn-north-1.amazonaws.com.cn');
    expect(credentialsFromEnv({ AWS_ACCESS_KEY_ID: 'id', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' })).toEqual({
      accessKeyId: 'id',
      secretAccessKey: 'secret',
      sessionToken: 'token',
    });
    expect(() => credentialsFromEnv({})).toThrow(/no AWS credentials/);
  });
});
