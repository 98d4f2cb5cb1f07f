import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { createTables, tableEnv } from '../../local/create-tables.ts';
import { createImageStore } from '../../lambdas/core/images/create-image-store.ts';
import { createRuntime, type Runtime } from '../../lambdas/core/runtime.ts';
import { TEST_JWT_SECRET } from './tokens.ts';

/**
 * Environment of a test: fresh tables in the shared DynamoDB Local, the local cipher,
 * the test secret. Returned so handler tests can set it on process.env.
 */
export const createTestEnv = async (overrides: Record<string, string> = {}): Promise<Record<string, string>> => createEnvOn(inject('ddbEndpoint'), overrides);

/** The same on any DynamoDB Local (a process of its own: `npm run chaos`). */
export const createEnvOn = async (endpoint: string, overrides: Record<string, string> = {}): Promise<Record<string, string>> => {
  const prefix = `t${randomUUID().slice(0, 8)}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await createTables(client, prefix);
  client.destroy();
  const dir = mkdtempSync(join(tmpdir(), 'aichat-test-'));
  return {
    AWS_REGION: 'us-east-1',
    DYNAMODB_ENDPOINT: endpoint,
    JWT_SECRET: TEST_JWT_SECRET,
    LOCAL_CIPHER_KEY_FILE: join(dir, 'cipher.key'),
    LOCAL_IMAGE_DIR: join(dir, 'images'),
    LOCAL_KEPT_RUNS_DIR: join(dir, 'kept-runs'),
    ...tableEnv(prefix),
    ...overrides,
  };
};

/** A runtime on fresh tables, for tests that call the core directly. */
export const createTestRuntime = async (overrides: Record<string, string> = {}): Promise<Runtime> =>
  createRuntime({ ...(await createTestEnv(overrides)) }, createImageStore);
