import { randomUUID } from 'node:crypto';
import type { Runtime } from '../../../lambdas/core/runtime.ts';
import { sessionPk } from '../../../lambdas/core/sessions/keys.ts';
import { createRunStatus, runStatusKey } from '../../../lambdas/core/sessions/run-status.ts';
import { storeFinishedRun } from '../../../lambdas/core/sessions/final-write.ts';
import type { RunRecord } from '../../../lambdas/core/sessions/types.ts';

type Deps = Pick<Runtime, 'db' | 'tables'>;

export const METRICS = {
  inputTokens: 10,
  outputTokens: 5,
  totalTokens: 15,
  reasoningTokens: 2,
  cacheReadTokens: 0,
  duration: 1.5,
  timeToFirstToken: 0.25,
};

export const MODEL = { id: 1, code: 'gpt-test', name: 'Test model', provider: 'OpenAI', temperature: 0.7 };

/** Epoch ms of the n-th turn of a seeded session; later turns and sessions sort later. */
export const at = (n: number) => 1_750_000_000_000 + n * 1000;

export const runRecord = (sessionId: string, userId: string, n: number, extra: Partial<RunRecord> = {}): RunRecord => ({
  runId: randomUUID(),
  sessionId,
  userId,
  status: 'completed',
  userMessage: `question ${n}`,
  images: [],
  content: `answer ${n}`,
  reasoning: '',
  metrics: METRICS,
  model: MODEL,
  startedAt: at(n),
  finishedAt: at(n) + 500,
  ...extra,
});

/** One finished turn, written as the stream writes it: run status first, the run at the end. */
export const seedRun = async (deps: Deps, run: RunRecord): Promise<RunRecord> => {
  await createRunStatus(deps, { runId: run.runId, sessionId: run.sessionId, userId: run.userId }, 3600);
  if ((await storeFinishedRun(deps, { run, followUp: false })) !== 'stored') throw new Error(`seed: run ${run.runId} refused`);
  return run;
};

/** A session of `turns` completed runs; returns its id and runs. */
export const seedSession = async (deps: Deps, userId: string, turns: number, first = 1) => {
  const sessionId = randomUUID();
  const runs: RunRecord[] = [];
  for (let n = first; n < first + turns; n++) runs.push(await seedRun(deps, runRecord(sessionId, userId, n)));
  return { sessionId, runs };
};

/** Every item left in a session's partition. */
export const partitionItems = async (deps: Deps, sessionId: string) =>
  (
    await deps.db.query({
      TableName: deps.tables.sessions,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': sessionPk(sessionId) },
      ConsistentRead: true,
    })
  ).Items ?? [];

export const runStatusItem = async (deps: Deps, runId: string) =>
  (
    await deps.db.query({
      TableName: deps.tables.sessions,
      KeyConditionExpression: 'pk = :pk AND sk = :sk',
      ExpressionAttributeValues: { ':pk': runStatusKey(runId).pk, ':sk': runStatusKey(runId).sk },
      ConsistentRead: true,
    })
  ).Items?.[0];
