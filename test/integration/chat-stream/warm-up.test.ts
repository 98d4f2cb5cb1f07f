import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createChatDeps } from '../../../lambdas/core/chat/deps.ts';
import { warmUp } from '../../../lambdas/core/chat/warm-up.ts';
import { createImageReader } from '../../../lambdas/core/images/create-image-reader.ts';
import { logger } from '../../../lambdas/core/observability/logger.ts';
import { createRuntime } from '../../../lambdas/core/runtime.ts';
import { type LocalKeptRuns, startLocalKeptRuns } from '../../../local/kept-runs.ts';
import { startModelServer, type ModelServer } from '../../../local/model-server.ts';
import { createTestEnv } from '../../support/test-runtime.ts';

/**
 * The stream function's INIT runs the first chat's work ahead (warm-up.ts) against the
 * deployment's own DynamoDB: it must store nothing, contact no provider and log nothing,
 * and a DynamoDB it cannot reach must not fail the function's start.
 */
let modelServer: ModelServer;
let keptRuns: LocalKeptRuns;
let env: Record<string, string>;

beforeAll(async () => {
  modelServer = await startModelServer();
  keptRuns = await startLocalKeptRuns();
  env = await createTestEnv({ MODEL_HOST_ALLOWLIST: '127.0.0.1', ...keptRuns.env });
});

afterAll(async () => {
  await modelServer.close();
  await keptRuns.stop();
});

const tableItems = async (names: string[]) => {
  const client = new DynamoDBClient({ endpoint: env.DYNAMODB_ENDPOINT, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const counts = await Promise.all(names.map(async (TableName) => (await client.send(new ScanCommand({ TableName }))).Count));
  client.destroy();
  return counts;
};

/** Everything the process writes to stdout and stderr while `work` runs. */
const output = async (work: () => Promise<void>) => {
  const written: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }),
  );
  try {
    await work();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return written;
};

describe('the warm-up at INIT', () => {
  it('reads, builds and primes, but stores nothing, contacts no provider and logs nothing', async () => {
    const runtime = await createRuntime(env, createImageReader);
    const operations: string[] = [];
    runtime.db.use((next) => (operation, input) => {
      operations.push(operation);
      return next(operation, input);
    });
    const warm = vi.fn(async () => {});
    const deps = createChatDeps({ ...runtime, cipher: { ...runtime.cipher, warm } });

    // The tests' own level is SILENT: anything the warm-up logged would be shown here.
    logger.setLogLevel('DEBUG');
    const written = await output(() => warmUp(deps)).finally(() => logger.setLogLevel('SILENT'));

    expect(operations.length).toBeGreaterThan(0);
    // Reads only: the model that cannot exist, and the quotas into the instance's copy.
    expect(new Set(operations)).toEqual(new Set(['GetItem', 'Query']));
    expect(warm).toHaveBeenCalledOnce();
    expect(await tableItems([env.MODELS_TABLE!, env.CONFIGS_TABLE!, env.SESSIONS_TABLE!])).toEqual([0, 0, 0]);
    expect(modelServer.stats.requests).toEqual([]);
    expect(written).toEqual([]);

    // The first chat's quota check finds the instance's copy: it waits for no read.
    operations.length = 0;
    await deps.quotas.current();
    expect(operations).toEqual([]);
  });

  it('leaves a DynamoDB it cannot reach to the first chat, without failing', async () => {
    const runtime = await createRuntime({ ...env, DYNAMODB_ENDPOINT: 'http://127.0.0.1:9' }, createImageReader);
    await expect(warmUp(createChatDeps(runtime))).resolves.toBeUndefined();
  });
});
