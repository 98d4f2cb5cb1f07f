import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createImageStore } from '../../../lambdas/core/images/create-image-store.ts';
import { createRuntime, type Runtime } from '../../../lambdas/core/runtime.ts';
import { HEADER_SK, createdSk, sessionPk, userPk } from '../../../lambdas/core/sessions/keys.ts';
import { createRunStatus, readRunState } from '../../../lambdas/core/sessions/run-status.ts';
import { storeFinishedRun } from '../../../lambdas/core/sessions/final-write.ts';
import { listSessions } from '../../../lambdas/core/sessions/session-list.ts';
import { loadApiHandler, type ApiCall } from '../../support/api-call.ts';
import { createTestEnv } from '../../support/test-runtime.ts';
import { bearer, CHAT_USER } from '../../support/tokens.ts';
import { at, METRICS, MODEL, partitionItems, runRecord, runStatusItem, seedRun, seedSession } from './seed.ts';

let api: (call: ApiCall) => Promise<{ json: Record<string, any> }>;
let rt: Runtime;

beforeAll(async () => {
  const env = await createTestEnv({ LOCAL_PUBLIC_URL: 'http://127.0.0.1:3999' });
  api = await loadApiHandler(env);
  rt = await createRuntime(env, createImageStore);
});

const call = async (userId: number, method: ApiCall['method'], path: string) =>
  (await api({ method, path, authorization: await bearer(CHAT_USER(userId)) })).json;
const list = (userId: number) => call(userId, 'GET', '/ai/chat/session/list');
const detail = (userId: number, sessionId: string) => call(userId, 'GET', `/ai/chat/session/${sessionId}`);
const remove = (userId: number, sessionId: string) => call(userId, 'DELETE', `/ai/chat/session/${sessionId}`);

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/;

/** The first page of the byUser index for a user, read directly. */
const indexPage = async (userId: string) =>
  rt.db.query({
    TableName: rt.tables.sessions,
    IndexName: 'byUser',
    KeyConditionExpression: 'userPk = :u',
    ExpressionAttributeValues: { ':u': userPk(userId) },
  });

const header = async (sessionId: string) => (await partitionItems(rt, sessionId)).find((item) => item.sk === HEADER_SK)!;

describe('GET /ai/chat/session/list', () => {
  it("lists only the caller's sessions, newest first, titled by the seed's rule, in the contract's shape", async () => {
    const older = randomUUID();
    const newer = randomUUID();
    await seedRun(rt, runRecord(older, '201', 1, { userMessage: '一二三四五六七八九十一二三四五六七八九十一二' }));
    await seedRun(rt, runRecord(newer, '201', 2, { userMessage: 'hello' }));
    await seedRun(rt, runRecord(older, '201', 3, { userMessage: 'a later turn does not rename' }));
    await seedSession(rt, '202', 1);

    const res = await list(201);
    expect(res).toMatchObject({ code: 200, success: true });
    expect(res.data.map((s: any) => s.sessionId)).toEqual([older, newer]);
    expect(res.data[0]).toEqual({
      sessionId: older,
      sessionTitle: '一二三四五六七八九十一二三四五六七八九十',
      sessionType: 'agent',
      userId: 201,
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
    });
    expect(res.data[1].sessionTitle).toBe('hello...');
    // Local time of the default zone, Asia/Shanghai (UTC+8 all year).
    expect(new Date(`${res.data[0].updatedAt}+08:00`).getTime()).toBe(at(3) + 500 - ((at(3) + 500) % 1000));
    expect(new Date(`${res.data[0].createdAt}+08:00`).getTime()).toBe(at(1));
  });

  it('puts the session with the latest turn first, whatever order the sessions were created in', async () => {
    const [first, second, third] = [randomUUID(), randomUUID(), randomUUID()];
    await seedRun(rt, runRecord(first, '213', 1));
    await seedRun(rt, runRecord(second, '213', 2));
    await seedRun(rt, runRecord(third, '213', 3));
    expect((await list(213)).data.map((s: any) => s.sessionId)).toEqual([third, second, first]);

    await seedRun(rt, runRecord(first, '213', 4));
    expect((await list(213)).data.map((s: any) => s.sessionId)).toEqual([first, third, second]);
  });

  it('orders sessions whose last turns ended in the same millisecond by creation, newest first', async () => {
    const [older, newer] = [randomUUID(), randomUUID()];
    await seedRun(rt, runRecord(older, '214', 1, { finishedAt: at(5) }));
    await seedRun(rt, runRecord(newer, '214', 2, { finishedAt: at(5) }));
    expect((await list(214)).data.map((s: any) => s.sessionId)).toEqual([newer, older]);
  });

  it('is empty for a user with no sessions', async () => {
    expect((await list(299)).data).toEqual([]);
  });

  it('reads past the first 1 MB Query page', async () => {
    const ids: string[] = [];
    for (let n = 0; n < 30; n++) {
      const { sessionId } = await seedSession(rt, '203', 1, 100 + n);
      ids.unshift(sessionId);
      // Big titles (the index carries the title) make DynamoDB cut the index Query into several pages.
      await rt.db.update({
        TableName: rt.tables.sessions,
        Key: { pk: sessionPk(sessionId), sk: HEADER_SK },
        UpdateExpression: 'SET title = :t',
        ExpressionAttributeValues: { ':t': 'x'.repeat(60_000) },
      });
    }
    const firstPage = await indexPage('203');
    expect(firstPage.LastEvaluatedKey).toBeDefined();
    expect(firstPage.Items!.length).toBeLessThan(30);

    const res = await list(203);
    expect(res.data.map((s: any) => s.sessionId)).toEqual(ids);
  });

  it('pages through small pages and stops at the cap, keeping the newest', async () => {
    const ids: string[] = [];
    for (let n = 0; n < 7; n++) ids.unshift((await seedSession(rt, '204', 1, 200 + n)).sessionId);
    expect((await listSessions(rt, '204', { pageLimit: 2 })).map((s) => s.sessionId)).toEqual(ids);
    expect((await listSessions(rt, '204', { pageLimit: 2, max: 5 })).map((s) => s.sessionId)).toEqual(ids.slice(0, 5));
  });

  it('caps to the most recently created sessions, then orders those by their latest turn', async () => {
    const ids: string[] = [];
    for (let n = 0; n < 4; n++) ids.unshift((await seedSession(rt, '215', 1, 300 + n)).sessionId);
    const [newest, second, third, oldest] = ids;
    await seedRun(rt, runRecord(oldest!, '215', 310));
    await seedRun(rt, runRecord(third!, '215', 311));
    expect((await listSessions(rt, '215', { pageLimit: 2 })).map((s) => s.sessionId)).toEqual([third, oldest, newest, second]);
    expect((await listSessions(rt, '215', { pageLimit: 2, max: 3 })).map((s) => s.sessionId)).toEqual([third, newest, second]);
  });
});

describe('the byUser index', () => {
  it('keys the header by user and creation time from turn 1 on, so a later turn never moves its index item', async () => {
    const sessionId = randomUUID();
    await seedRun(rt, runRecord(sessionId, '216', 1));
    const afterFirst = await header(sessionId);
    expect(afterFirst).toMatchObject({ userPk: userPk('216'), createdSk: createdSk(at(1), sessionId) });
    expect(afterFirst).not.toHaveProperty('updatedSk');

    await seedRun(rt, runRecord(sessionId, '216', 2));
    const afterSecond = await header(sessionId);
    expect(afterSecond.updatedAt).toBe(at(2) + 500);
    expect({ userPk: afterSecond.userPk, createdSk: afterSecond.createdSk }).toEqual({
      userPk: afterFirst.userPk,
      createdSk: afterFirst.createdSk,
    });
  });

  it('carries the keys and the attributes a list item shows, nothing else of the header', async () => {
    const { sessionId } = await seedSession(rt, '217', 2);
    const { Items } = await indexPage('217');
    expect(Items).toHaveLength(1);
    expect(Object.keys(Items![0]!).sort()).toEqual([
      'createdAt',
      'createdSk',
      'pk',
      'sessionId',
      'sessionType',
      'sk',
      'title',
      'updatedAt',
      'userId',
      'userPk',
    ]);
    expect(await header(sessionId)).toMatchObject({ runCount: 2, model: MODEL, sum_inputTokens: 20 });
  });
});

describe('GET /ai/chat/session/{id}', () => {
  it('answers the messages in order, partial replies of cancelled and failed runs included, with metrics and model', async () => {
    const sessionId = randomUUID();
    const ownImage = 'uploads/205/0b6f1c4e-8f7a-4d3b-9c2e-1a2b3c4d5e6f.png';
    const foreignImage = 'uploads/206/1b6f1c4e-8f7a-4d3b-9c2e-1a2b3c4d5e6f.png';
    const runs = [
      runRecord(sessionId, '205', 1, { images: [ownImage, foreignImage], reasoning: 'thinking…' }),
      runRecord(sessionId, '205', 2, { status: 'cancelled', content: 'partial ans', metrics: null }),
      runRecord(sessionId, '205', 3, { status: 'failed', content: 'cut', error: '模型调用失败' }),
    ];
    for (const r of runs) await seedRun(rt, r);

    const res = await detail(205, sessionId);
    expect(res).toMatchObject({ code: 200, success: true });
    const d = res.data;
    expect(d).toMatchObject({ sessionId, sessionTitle: 'question 1...', sessionType: 'agent', userId: 205, agentId: 'chat-agent' });
    expect(d.createdAt).toMatch(ISO);
    expect(d.messages.map((m: any) => [m.role, m.content])).toEqual([
      ['user', 'question 1'],
      ['assistant', 'answer 1'],
      ['user', 'question 2'],
      ['assistant', 'partial ans'],
      ['user', 'question 3'],
      ['assistant', 'cut'],
    ]);
    const [u1, a1, , a2] = d.messages;
    expect(u1).toEqual({
      id: expect.any(String),
      role: 'user',
      content: 'question 1',
      images: [expect.stringMatching(/^http:\/\/127\.0\.0\.1:3999\/local\/images\/uploads\/205\/0b6f1c4e-8f7a-4d3b-9c2e-1a2b3c4d5e6f\.png\?exp=\d+&sig=/)],
      metrics: null,
      createdAt: expect.stringMatching(ISO),
      fromHistory: false,
      reasoningContent: null,
      stopAfterToolCall: false,
    });
    expect(a1).toMatchObject({ role: 'assistant', metrics: METRICS, reasoningContent: 'thinking…', images: [], fromHistory: false, stopAfterToolCall: false });
    expect(a2.metrics).toBeNull();
    expect(new Set(d.messages.map((m: any) => m.id)).size).toBe(6);
    expect(d.sessionData.sessionMetrics).toMatchObject({
      inputTokens: 20,
      outputTokens: 10,
      totalTokens: 30,
      reasoningTokens: 4,
      duration: 3,
      timeToFirstToken: 0.5,
    });
    expect(d.agentData).toEqual({
      agentId: 'chat-agent',
      model: { id: MODEL.code, modelId: MODEL.id, name: MODEL.name, provider: MODEL.provider, temperature: MODEL.temperature },
    });
  });

  it("labels a model stored without its code by the model's current code, else its id", async () => {
    const { code: _code, ...withoutCode } = MODEL;
    const sessionId = randomUUID();
    await seedRun(rt, runRecord(sessionId, '205', 1, { model: { ...withoutCode, id: 424242 } }));
    expect((await detail(205, sessionId)).data.agentData.model.id).toBe('424242');
  });

  it("answers 会话不存在 for an unknown id, 无权访问该会话 for another user's, 601 for a malformed id", async () => {
    const { sessionId } = await seedSession(rt, '207', 1);
    expect(await detail(207, randomUUID())).toMatchObject({ code: 500, msg: '会话不存在', success: false });
    const other = await detail(208, sessionId);
    expect(other).toMatchObject({ code: 500, msg: '无权访问该会话', success: false });
    expect(other).not.toHaveProperty('data');
    expect(await detail(207, 'not-a-uuid')).toMatchObject({ code: 601, success: false });
  });
});

describe('DELETE /ai/chat/session/{id}', () => {
  const everything = async (sessionId: string, runIds: string[]) => ({
    partition: await partitionItems(rt, sessionId),
    statuses: (await Promise.all(runIds.map((id) => runStatusItem(rt, id)))).filter(Boolean),
  });

  it("refuses another user's session and an unknown one, leaving everything in place", async () => {
    const { sessionId, runs } = await seedSession(rt, '209', 2);
    const before = await everything(
      sessionId,
      runs.map((r) => r.runId),
    );
    expect(await remove(210, sessionId)).toMatchObject({ code: 500, msg: '无权访问该会话', success: false });
    expect(await remove(209, randomUUID())).toMatchObject({ code: 500, msg: '会话不存在', success: false });
    expect(await remove(209, 'x')).toMatchObject({ code: 601 });
    expect(
      await everything(
        sessionId,
        runs.map((r) => r.runId),
      ),
    ).toEqual(before);
    expect((await detail(209, sessionId)).code).toBe(200);
  });

  it('removes every item of the session and its run-status items, past one batch and with split replies', async () => {
    const { sessionId, runs } = await seedSession(rt, '211', 30);
    runs.push(await seedRun(rt, runRecord(sessionId, '211', 31, { content: '长'.repeat(200_000) })));
    const { sessionId: kept } = await seedSession(rt, '211', 1, 50);
    expect((await partitionItems(rt, sessionId)).length).toBeGreaterThan(60);

    expect(await remove(211, sessionId)).toMatchObject({ code: 200, msg: '删除成功', success: true });
    expect(
      await everything(
        sessionId,
        runs.map((r) => r.runId),
      ),
    ).toEqual({ partition: [], statuses: [] });
    expect((await list(211)).data.map((s: any) => s.sessionId)).toEqual([kept]);
    expect(await detail(211, sessionId)).toMatchObject({ msg: '会话不存在' });
    expect(await remove(211, sessionId)).toMatchObject({ msg: '会话不存在' });
  });

  it('stops a run in progress, and its final write cannot bring the session back', async () => {
    const { sessionId, runs } = await seedSession(rt, '212', 2);
    const running = runRecord(sessionId, '212', 3, { status: 'cancelled', content: 'half' });
    await createRunStatus(rt, { runId: running.runId, sessionId, userId: '212' }, 3600);

    expect(await remove(212, sessionId)).toMatchObject({ msg: '删除成功' });
    expect(await readRunState(rt, running.runId)).toBeUndefined();
    expect(await storeFinishedRun(rt, { run: running, followUp: true })).toBe('refused');
    expect(
      await everything(
        sessionId,
        [...runs, running].map((r) => r.runId),
      ),
    ).toEqual({ partition: [], statuses: [] });
    expect((await list(212)).data).toEqual([]);
  });
});
