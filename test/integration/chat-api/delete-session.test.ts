import { beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient, type Operation } from '../../../lambdas/core/db/client.ts';
import type { Runtime } from '../../../lambdas/core/runtime.ts';
import { deleteSession } from '../../../lambdas/core/sessions/delete-session.ts';
import { createRunStatus } from '../../../lambdas/core/sessions/run-status.ts';
import { storeFinishedRun } from '../../../lambdas/core/sessions/final-write.ts';
import { getSessionHeader, loadRuns } from '../../../lambdas/core/sessions/run-store.ts';
import { createTestRuntime } from '../../support/test-runtime.ts';
import { partitionItems, runRecord, runStatusItem, seedSession } from './seed.ts';

let rt: Runtime;
beforeAll(async () => {
  rt = await createTestRuntime();
});

/** The runtime's tables behind a client of their own that runs `intercept` before each call it sends. */
const withInterceptor = (intercept: (operation: Operation, calls: number) => Promise<void>) => {
  let calls = 0;
  const db = createDocumentClient({ endpoint: rt.settings.DYNAMODB_ENDPOINT });
  db.use((next) => async (operation, input) => {
    await intercept(operation, ++calls);
    return next(operation, input);
  });
  return { db, tables: rt.tables };
};

const leftovers = async (sessionId: string, runIds: string[]) => ({
  partition: await partitionItems(rt, sessionId),
  statuses: (await Promise.all(runIds.map((id) => runStatusItem(rt, id)))).filter(Boolean),
});

describe('deleteSession', () => {
  it('a delete cut short answers 删除会话失败, keeps the session visible, and the next delete finishes it', async () => {
    const { sessionId, runs } = await seedSession(rt, '301', 20);
    const itemsBefore = (await partitionItems(rt, sessionId)).length;
    let batches = 0;
    const failing = withInterceptor(async (operation) => {
      if (operation === 'BatchWriteItem' && ++batches === 2) throw new Error('throttled');
    });
    await expect(deleteSession(failing, sessionId, '301')).rejects.toMatchObject({ code: 500, message: '删除会话失败' });
    expect(await getSessionHeader(rt, sessionId)).toMatchObject({ userId: '301' });
    expect((await partitionItems(rt, sessionId)).length).toBeLessThan(itemsBefore);
    expect((await loadRuns(rt, sessionId)).length).toBeGreaterThan(0);

    await deleteSession(rt, sessionId, '301');
    expect(
      await leftovers(
        sessionId,
        runs.map((r) => r.runId),
      ),
    ).toEqual({ partition: [], statuses: [] });
  });

  it('a failure on the header itself leaves the session owned and complete-able', async () => {
    const { sessionId, runs } = await seedSession(rt, '302', 2);
    const failing = withInterceptor(async (operation) => {
      if (operation === 'DeleteItem') throw new Error('network');
    });
    await expect(deleteSession(failing, sessionId, '302')).rejects.toMatchObject({ message: '删除会话失败' });
    expect(await getSessionHeader(rt, sessionId)).toBeDefined();
    await deleteSession(rt, sessionId, '302');
    expect(
      await leftovers(
        sessionId,
        runs.map((r) => r.runId),
      ),
    ).toEqual({ partition: [], statuses: [] });
  });

  it('a run stored while the delete is under way is deleted too', async () => {
    const { sessionId, runs } = await seedSession(rt, '303', 2);
    const late = runRecord(sessionId, '303', 3, { status: 'cancelled', content: 'half' });
    await createRunStatus(rt, { runId: late.runId, sessionId, userId: '303' }, 3600);
    let persisted = false;
    const racing = withInterceptor(async (operation) => {
      if (operation === 'BatchWriteItem' && !persisted) {
        persisted = true;
        await storeFinishedRun(rt, { run: late, followUp: true });
      }
    });
    await deleteSession(racing, sessionId, '303');
    expect(persisted).toBe(true);
    expect(
      await leftovers(
        sessionId,
        [...runs, late].map((r) => r.runId),
      ),
    ).toEqual({ partition: [], statuses: [] });
  });

  it('does not bring back a session deleted while a follow-up run started before the delete could see it', async () => {
    const { sessionId } = await seedSession(rt, '306', 1);
    const late = runRecord(sessionId, '306', 2, { content: 'answered after the delete' });
    // The delete runs between the follow-up's ownership check and its status write, so it finds no run to stop.
    await deleteSession(rt, sessionId, '306');
    await createRunStatus(rt, { runId: late.runId, sessionId, userId: '306' }, 3600);

    expect(await storeFinishedRun(rt, { run: late, followUp: true })).toBe('refused');
    expect(await getSessionHeader(rt, sessionId)).toBeUndefined();
    expect(await loadRuns(rt, sessionId)).toEqual([]);
    // A new session's first run is what creates the header.
    const fresh = runRecord(crypto.randomUUID(), '306', 1);
    await createRunStatus(rt, { runId: fresh.runId, sessionId: fresh.sessionId, userId: '306' }, 3600);
    expect(await storeFinishedRun(rt, { run: fresh, followUp: false })).toBe('stored');
    expect(await getSessionHeader(rt, fresh.sessionId)).toMatchObject({ userId: '306', runCount: 1 });
  });

  it("refuses another user's session without deleting anything", async () => {
    const { sessionId, runs } = await seedSession(rt, '304', 1);
    const before = await leftovers(
      sessionId,
      runs.map((r) => r.runId),
    );
    await expect(deleteSession(rt, sessionId, '305')).rejects.toMatchObject({ message: '无权访问该会话' });
    expect(
      await leftovers(
        sessionId,
        runs.map((r) => r.runId),
      ),
    ).toEqual(before);
  });
});
