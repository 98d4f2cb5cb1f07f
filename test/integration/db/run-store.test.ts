import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../lambdas/core/runtime.ts';
import { buildFinalWrite, splitText, storeFinishedRun } from '../../../lambdas/core/sessions/final-write.ts';
import { cancelRun, createRunStatus, markRunFailed, readRunState, stopRun, TRANSITIONS, waitUntilStored } from '../../../lambdas/core/sessions/run-status.ts';
import { getSessionHeader, loadHistory, loadRuns, requireOwnedSession } from '../../../lambdas/core/sessions/run-store.ts';
import { sessionTitle } from '../../../lambdas/core/sessions/title.ts';
import type { RunRecord } from '../../../lambdas/core/sessions/types.ts';
import { createTestRuntime } from '../../support/test-runtime.ts';

let rt: Runtime;
beforeAll(async () => {
  rt = await createTestRuntime();
});

const metrics = { inputTokens: 10, outputTokens: 5, totalTokens: 15, reasoningTokens: 1, cacheReadTokens: 0, duration: 1.5, timeToFirstToken: 0.2 };

const run = (sessionId: string, n: number, extra: Partial<RunRecord> = {}): RunRecord => ({
  runId: randomUUID(),
  sessionId,
  userId: '7',
  status: 'completed',
  userMessage: `question ${n}`,
  images: [],
  content: `answer ${n}`,
  reasoning: '',
  metrics,
  model: { id: 1, name: 'm', provider: 'OpenAI', temperature: 0.7 },
  startedAt: 1_700_000_000_000 + n * 1000,
  finishedAt: 1_700_000_000_500 + n * 1000,
  ...extra,
});

const store = (r: RunRecord, followUp = false) => storeFinishedRun(rt, { run: r, followUp });

const turn = async (r: RunRecord) => {
  await createRunStatus(rt, { runId: r.runId, sessionId: r.sessionId, userId: r.userId }, 60);
  return store(r);
};

describe('run store', () => {
  it('persists runs in order, sums metrics on the header, marks the status terminal', async () => {
    const sessionId = randomUUID();
    const runs = [run(sessionId, 1), run(sessionId, 2, { status: 'cancelled', metrics: null }), run(sessionId, 3)];
    for (const r of runs) await turn(r);
    const loaded = await loadRuns(rt, sessionId);
    expect(loaded.map((r) => r.content)).toEqual(['answer 1', 'answer 2', 'answer 3']);
    expect(loaded[1]!.status).toBe('cancelled');
    const header = await getSessionHeader(rt, sessionId);
    expect(header).toMatchObject({ userId: '7', title: 'question 1...', runCount: 3, createdAt: runs[0]!.startedAt });
    expect(header!.metrics.inputTokens).toBe(20);
    expect(await readRunState(rt, runs[1]!.runId)).toBe('CANCELLED');
    expect(await readRunState(rt, runs[2]!.runId)).toBe('COMPLETED');
  });

  it('history holds the last N completed runs, oldest first', async () => {
    const sessionId = randomUUID();
    for (let n = 1; n <= 6; n++) await turn(run(sessionId, n, n === 5 ? { status: 'failed' } : {}));
    const history = await loadHistory(rt, sessionId, 3);
    expect(history.map((r) => r.userMessage)).toEqual(['question 3', 'question 4', 'question 6']);
  });

  it('splits a reply larger than one item and reads it back whole', async () => {
    const sessionId = randomUUID();
    const content = '数据'.repeat(150_000) + '😀'.repeat(60_000);
    await turn(run(sessionId, 1, { content }));
    const [loaded] = await loadRuns(rt, sessionId);
    expect(loaded!.content).toBe(content);
  });

  it('never cuts a surrogate pair when splitting', () => {
    const parts = splitText('a😀b😀', 2);
    expect(parts.join('')).toBe('a😀b😀');
    for (const p of parts) expect(p).not.toMatch(/^[\udc00-\udfff]|[\ud800-\udbff]$/);
  });

  it('refuses another user writing into a session', async () => {
    const sessionId = randomUUID();
    await turn(run(sessionId, 1));
    expect(await turn(run(sessionId, 2, { userId: '8' }))).toBe('refused');
    expect((await loadRuns(rt, sessionId)).length).toBe(1);
    await expect(requireOwnedSession(rt, sessionId, '8')).rejects.toThrow('无权访问该会话');
    await expect(requireOwnedSession(rt, randomUUID(), '7')).rejects.toThrow('会话不存在');
    await expect(requireOwnedSession(rt, sessionId, '7')).resolves.toMatchObject({ sessionId });
  });

  it('cancel: owner only, only while running', async () => {
    const runId = randomUUID();
    await createRunStatus(rt, { runId, sessionId: randomUUID(), userId: '7' }, 60);
    await expect(cancelRun(rt, runId, '8')).rejects.toThrow('无权取消该运行');
    await expect(cancelRun(rt, randomUUID(), '7')).rejects.toThrow('无权取消该运行');
    await cancelRun(rt, runId, '7');
    expect(await readRunState(rt, runId)).toBe('CANCELLED');
    await expect(cancelRun(rt, runId, '7')).rejects.toThrow('取消运行失败');
  });
});

describe('final write', () => {
  it('is built from the finished run alone: the same run gives the same writes', () => {
    const r = run(randomUUID(), 1, { content: '长'.repeat(120_000) });
    const first = buildFinalWrite(rt.tables, { run: r, followUp: true });
    expect(buildFinalWrite(rt.tables, structuredClone({ run: r, followUp: true }))).toEqual(first);
    expect(first.parts.length).toBeGreaterThan(1);
    expect(first.items).toHaveLength(3);
  });

  it('a replay applies nothing and finds the run stored as written', async () => {
    const r = run(randomUUID(), 1);
    expect(await turn(r)).toBe('stored');
    expect(await store(r)).toBe('stored');
    expect(await store(r, true)).toBe('stored');
    expect(await getSessionHeader(rt, r.sessionId)).toMatchObject({ runCount: 1 });
    expect((await getSessionHeader(rt, r.sessionId))!.metrics.inputTokens).toBe(10);
    // The same run with another end is not the one stored: refused, nothing changed.
    expect(await store({ ...r, finishedAt: r.finishedAt + 1 })).toBe('refused');
    expect(await loadRuns(rt, r.sessionId)).toEqual([expect.objectContaining({ runId: r.runId, finishedAt: r.finishedAt })]);
  });

  it('a run whose status record is gone is refused for good', async () => {
    expect(await store(run(randomUUID(), 1))).toBe('refused');
  });
});

describe('run-status record', () => {
  it('a create whose answer was lost is found created on its retry', async () => {
    const item = { runId: randomUUID(), sessionId: randomUUID(), userId: '7' };
    await createRunStatus(rt, item, 60);
    await createRunStatus(rt, item, 60);
    await expect(createRunStatus(rt, { ...item, userId: '8' }, 60)).rejects.toMatchObject({ name: 'TransactionCanceledException' });
    expect(await readRunState(rt, item.runId)).toBe('RUNNING');
  });

  it('a cancel whose answer was lost stands on its retry; another cancel finds the run ended', async () => {
    const runId = randomUUID();
    await createRunStatus(rt, { runId, sessionId: randomUUID(), userId: '7' }, 60);
    const at = Date.now();
    await cancelRun(rt, runId, '7', at);
    await cancelRun(rt, runId, '7', at);
    await expect(cancelRun(rt, runId, '7', at + 1)).rejects.toThrow('取消运行失败');
  });

  it('a RUNNING run past its deadline reads as FAILED and cannot be cancelled', async () => {
    const runId = randomUUID();
    await createRunStatus(rt, { runId, sessionId: randomUUID(), userId: '7', deadline: Date.now() - 1 }, 60);
    expect(await readRunState(rt, runId)).toBe('FAILED');
    await expect(cancelRun(rt, runId, '7')).rejects.toThrow('取消运行失败');
    const live = randomUUID();
    await createRunStatus(rt, { runId: live, sessionId: randomUUID(), userId: '7', deadline: Date.now() + 60_000 }, 60);
    expect(await readRunState(rt, live)).toBe('RUNNING');
  });

  it('waits until a cancelled run is stored, or gives up at its bound', async () => {
    const r = run(randomUUID(), 1, { status: 'cancelled' });
    await createRunStatus(rt, { runId: r.runId, sessionId: r.sessionId, userId: r.userId }, 60);
    await cancelRun(rt, r.runId, '7');
    expect(await waitUntilStored(rt, r.runId, Date.now() + 150, 50)).toBe(false);
    const stored = waitUntilStored(rt, r.runId, Date.now() + 5_000, 50);
    await store(r);
    expect(await stored).toBe(true);
    expect(await waitUntilStored(rt, randomUUID(), Date.now() + 5_000, 50)).toBe(true);
  });

  it('no move leaves COMPLETED or FAILED', () => {
    const from = Object.values(TRANSITIONS).flatMap((t) => t.from as readonly string[]);
    expect(from).not.toContain('COMPLETED');
    expect(from).not.toContain('FAILED');
  });

  it('mark failed: RUNNING only, the owner only, and a failed run is not stored over', async () => {
    const r = run(randomUUID(), 1, { status: 'completed' });
    await createRunStatus(rt, { runId: r.runId, sessionId: r.sessionId, userId: r.userId }, 60);
    await expect(markRunFailed(rt, { runId: r.runId, userId: '8' })).rejects.toThrow();
    expect(await readRunState(rt, r.runId)).toBe('RUNNING');
    await markRunFailed(rt, r);
    expect(await readRunState(rt, r.runId)).toBe('FAILED');
    expect(await store(r)).toBe('refused');
    await expect(cancelRun(rt, r.runId, '7')).rejects.toThrow('取消运行失败');
    expect(await readRunState(rt, r.runId)).toBe('FAILED');
    expect(await loadRuns(rt, r.sessionId)).toEqual([]);
  });

  it('a cancelled run is stored as it ended; a stored one cannot be marked failed', async () => {
    const r = run(randomUUID(), 1, { status: 'cancelled' });
    await createRunStatus(rt, { runId: r.runId, sessionId: r.sessionId, userId: r.userId }, 60);
    await cancelRun(rt, r.runId, '7');
    expect(await store(r)).toBe('stored');
    expect(await readRunState(rt, r.runId)).toBe('CANCELLED');
    await expect(markRunFailed(rt, r)).rejects.toThrow();
    expect(await readRunState(rt, r.runId)).toBe('CANCELLED');
  });

  it('stop: cancels a running run, leaves a finished or foreign one as it is', async () => {
    const runId = randomUUID();
    await createRunStatus(rt, { runId, sessionId: randomUUID(), userId: '7' }, 60);
    await stopRun(rt, runId, '8');
    expect(await readRunState(rt, runId)).toBe('RUNNING');
    await stopRun(rt, runId, '7');
    expect(await readRunState(rt, runId)).toBe('CANCELLED');
    await stopRun(rt, runId, '7');
    expect(await readRunState(rt, runId)).toBe('CANCELLED');
  });
});

describe('session title', () => {
  it('follows the seed rule', () => {
    expect(sessionTitle('hello')).toBe('hello...');
    expect(sessionTitle('12345678901234567')).toBe('12345678901234567...');
    expect(sessionTitle('123456789012345678')).toBe('123456789012345678..');
    expect(sessionTitle('一二三四五六七八九十一二三四五六七八九十一')).toBe('一二三四五六七八九十一二三四五六七八九十');
  });
});
