import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createKeptRuns } from '../../../lambdas/core/kept-runs/create-kept-runs.ts';
import { INLINE_MAX_BYTES, keepFailedMark, keepRun, type KeptRuns } from '../../../lambdas/core/kept-runs/kept-run.ts';
import { readSettings } from '../../../lambdas/core/settings.ts';
import { createRunStatus, readRunState } from '../../../lambdas/core/sessions/run-status.ts';
import { getSessionHeader, loadRuns } from '../../../lambdas/core/sessions/run-store.ts';
import type { RunRecord } from '../../../lambdas/core/sessions/types.ts';
import { type LocalKeptRuns, startLocalKeptRuns } from '../../../local/kept-runs.ts';
import type { SqsHandler } from '../../../local/sqs-event-source.ts';
import { type DbProxy, startDbProxy } from '../../support/db-proxy.ts';
import { createTestEnv } from '../../support/test-runtime.ts';
import { directStore, type Store } from '../robustness/support/tables.ts';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The kept-runs path from the queue's side: the real drain handler fed by the local
 * event source mapping, over the local queue with SQS's semantics (redelivery after the
 * visibility timeout, a dead-letter queue after maxReceiveCount, duplicate deliveries),
 * storing in DynamoDB Local through a proxy that can cut it off.
 */

let local: LocalKeptRuns;
let kept: KeptRuns;
let proxy: DbProxy;
let store: Store;
let keptDir: string;

beforeAll(async () => {
  proxy = await startDbProxy(inject('ddbEndpoint'));
  // Every fifth delivery comes twice: the drain must not store a run twice.
  local = await startLocalKeptRuns({ drainTimeoutMs: 4_000, visibilityTimeoutMs: 4_500, maxReceiveCount: 6, duplicateChance: 0.2 });
  const env = await createTestEnv({ ...local.env, DYNAMODB_ENDPOINT: proxy.endpoint });
  Object.assign(process.env, env);
  keptDir = env.LOCAL_KEPT_RUNS_DIR!;
  kept = createKeptRuns(readSettings(env));
  store = directStore(env);
  local.startDrain((await import('../../../lambdas/drain/handler.ts')).handler as unknown as SqsHandler);
});

afterAll(async () => {
  await local.stop();
  await proxy.close();
});

const runRecord = (extra: Partial<RunRecord> = {}): RunRecord => ({
  runId: randomUUID(),
  sessionId: randomUUID(),
  userId: '901',
  status: 'completed',
  userMessage: '你好',
  images: [],
  content: '回复',
  reasoning: '',
  metrics: { inputTokens: 3, outputTokens: 4, totalTokens: 7, reasoningTokens: 0, cacheReadTokens: 0, duration: 1, timeToFirstToken: 0.1 },
  model: { id: 1, name: 'm', provider: 'OpenAI', temperature: null },
  startedAt: Date.now() - 2_000,
  finishedAt: Date.now(),
  ...extra,
});

const started = async (run: RunRecord) => {
  await createRunStatus(store, { runId: run.runId, sessionId: run.sessionId, userId: run.userId }, 3600);
  return run;
};

const storedRuns = async (sessionId: string, count = 1) => {
  await vi.waitFor(async () => expect(await loadRuns(store, sessionId)).toHaveLength(count), { timeout: 15_000, interval: 100 });
  return loadRuns(store, sessionId);
};

describe('the drain', () => {
  it('stores a kept run once, however often the queue delivers it', async () => {
    const runs = await Promise.all(Array.from({ length: 8 }, () => started(runRecord())));
    for (const run of runs) await keepRun(kept, { run, followUp: false }, Date.now() + 5_000);
    for (const run of runs) {
      expect(await storedRuns(run.sessionId)).toEqual([expect.objectContaining({ runId: run.runId, content: '回复', status: 'completed' })]);
      expect(await getSessionHeader(store, run.sessionId)).toMatchObject({ runCount: 1 });
      expect(await readRunState(store, run.runId)).toBe('COMPLETED');
    }
  });

  it('stores a run too large for a message from the bucket, whole, and lets go of its object', async () => {
    const content = '长回复'.repeat(Math.ceil(INLINE_MAX_BYTES / 6));
    const run = await started(runRecord({ content }));
    await keepRun(kept, { run, followUp: false }, Date.now() + 5_000);
    expect(await readdir(join(keptDir, 'runs'))).toContain(`${run.runId}.json`);
    const [stored] = await storedRuns(run.sessionId);
    expect(stored!.content).toBe(content);
    await vi.waitFor(async () => expect(await readdir(join(keptDir, 'runs'))).not.toContain(`${run.runId}.json`));
  });

  it('waits out DynamoDB: a message it could not store comes back after its visibility timeout', async () => {
    const run = await started(runRecord());
    await proxy.cut();
    await keepRun(kept, { run, followUp: false }, Date.now() + 5_000);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await loadRuns(store, run.sessionId)).toEqual([]);
    await proxy.restore();
    expect(await storedRuns(run.sessionId)).toHaveLength(1);
    expect(local.deadLetterQueue.bodies()).toEqual([]);
  });

  it('marks a run whose start was unsure failed, and leaves a finished one as it is', async () => {
    const unsure = await started(runRecord());
    await keepFailedMark(kept, unsure, Date.now() + 5_000);
    await vi.waitFor(async () => expect(await readRunState(store, unsure.runId)).toBe('FAILED'), { timeout: 15_000, interval: 100 });
    await keepFailedMark(kept, unsure, Date.now() + 5_000);
    const never = runRecord();
    await keepFailedMark(kept, never, Date.now() + 5_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await readRunState(store, never.runId)).toBeUndefined();
    await vi.waitFor(() => expect(local.queue.depth()).toEqual({ visible: 0, inFlight: 0 }), { timeout: 10_000 });
  });

  it('lets go of a run whose session was deleted meanwhile', async () => {
    const orphan = runRecord();
    await keepRun(kept, { run: orphan, followUp: true }, Date.now() + 5_000);
    await vi.waitFor(() => expect(local.queue.depth()).toEqual({ visible: 0, inFlight: 0 }), { timeout: 15_000, interval: 100 });
    expect(await loadRuns(store, orphan.sessionId)).toEqual([]);
    expect(local.deadLetterQueue.bodies()).toEqual([]);
  });

  it('sends a message it cannot read to the dead-letter queue after maxReceiveCount deliveries', async () => {
    const strict = await startLocalKeptRuns({ drainTimeoutMs: 3_000, visibilityTimeoutMs: 1_000, maxReceiveCount: 2 });
    strict.startDrain((await import('../../../lambdas/drain/handler.ts')).handler as unknown as SqsHandler);
    try {
      strict.queue.send('{"v":99}');
      await vi.waitFor(() => expect(strict.deadLetterQueue.bodies()).toEqual(['{"v":99}']), { timeout: 15_000, interval: 100 });
      expect(strict.queue.depth()).toEqual({ visible: 0, inFlight: 0 });
    } finally {
      await strict.stop();
    }
  });
});
