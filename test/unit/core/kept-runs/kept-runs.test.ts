import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createKeptRuns } from '../../../../lambdas/core/kept-runs/create-kept-runs.ts';
import { createSqsKeptRunQueue } from '../../../../lambdas/core/kept-runs/kept-run-queue.ts';
import { createS3KeptRunStore } from '../../../../lambdas/core/kept-runs/s3-kept-run-store.ts';
import { readSettings } from '../../../../lambdas/core/settings.ts';
import { SqsQueue } from '../../../../local/sqs-queue.ts';
import { type SqsServer, startSqsServer } from '../../../../local/sqs-server.ts';

const BUCKET = 'kept-runs-test';

describe('kept runs in S3 (runs over one message)', () => {
  const s3 = mockClient(S3Client);
  const client = async () => new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  afterEach(() => s3.reset());

  it('puts, reads and deletes under the key, in the bucket', async () => {
    s3.on(PutObjectCommand).resolves({});
    s3.on(GetObjectCommand).resolves({ Body: { transformToString: async () => '{"v":1}' } as never });
    s3.on(DeleteObjectCommand).resolves({});
    const store = createS3KeptRunStore({ client, bucket: BUCKET });
    await store.put('runs/r.json', '{"v":1}', Date.now() + 5_000);
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: BUCKET,
      Key: 'runs/r.json',
      Body: '{"v":1}',
      ContentType: 'application/json',
    });
    expect(await store.get('runs/r.json')).toBe('{"v":1}');
    await store.delete('runs/r.json');
    expect(s3.commandCalls(DeleteObjectCommand)[0]!.args[0].input).toEqual({ Bucket: BUCKET, Key: 'runs/r.json' });
  });

  it('reads a key drained before as nothing, and passes any other failure on', async () => {
    s3.on(GetObjectCommand).rejects(new S3ServiceException({ name: 'NoSuchKey', $fault: 'client', $metadata: { httpStatusCode: 404 } }));
    const store = createS3KeptRunStore({ client, bucket: BUCKET });
    expect(await store.get('runs/gone.json')).toBeUndefined();
    s3.reset();
    s3.on(GetObjectCommand).rejects(new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } }));
    await expect(store.get('runs/x.json')).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('takes the queue and the bucket, or the local stand-ins, from the settings', () => {
    const base = { MODELS_TABLE: 'm', CONFIGS_TABLE: 'c', SESSIONS_TABLE: 's' };
    expect(() => createKeptRuns(readSettings(base))).toThrow('KEPT_RUNS_QUEUE_URL');
    const queued = { ...base, KEPT_RUNS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/kept-runs' };
    expect(() => createKeptRuns(readSettings(queued))).toThrow('KEPT_RUNS_BUCKET or LOCAL_KEPT_RUNS_DIR');
    expect(createKeptRuns(readSettings({ ...queued, KEPT_RUNS_BUCKET: BUCKET }))).toMatchObject({ queue: expect.any(Object), objects: expect.any(Object) });
  });
});

describe('the kept-runs queue over the JSON wire', () => {
  let queue: SqsQueue;
  let server: SqsServer;
  beforeAll(async () => {
    queue = new SqsQueue({ name: 'kept-runs', visibilityTimeoutMs: 1_000 });
    server = await startSqsServer([queue]);
  });
  afterAll(() => server.close());
  afterEach(() => server.setDown(false));

  it('sends a message SQS holds, up to 1 MiB', async () => {
    const send = createSqsKeptRunQueue({ region: 'us-east-1', queueUrl: server.urlOf(queue), endpoint: server.endpoint });
    await send.send('{"v":1,"run":{}}', Date.now() + 2_000);
    expect((await queue.receive()).map((m) => m.body)).toEqual(['{"v":1,"run":{}}']);
    await expect(send.send('x'.repeat(1024 * 1024 + 1), Date.now() + 2_000)).rejects.toMatchObject({ name: 'InvalidParameterValue', retryable: false });
  });

  it('refuses an unknown queue at once, and retries an unreachable one until its deadline', async () => {
    const unknown = createSqsKeptRunQueue({ region: 'us-east-1', queueUrl: `${server.endpoint}/000000000000/nope`, endpoint: server.endpoint });
    await expect(unknown.send('m', Date.now() + 2_000)).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
    server.setDown(true);
    const send = createSqsKeptRunQueue({ region: 'us-east-1', queueUrl: server.urlOf(queue), endpoint: server.endpoint });
    const started = Date.now();
    const failing = send.send('m', Date.now() + 600);
    setTimeout(() => server.setDown(false), 300);
    await failing;
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect((await queue.receive()).map((m) => m.body)).toEqual(['m']);
  });
});
