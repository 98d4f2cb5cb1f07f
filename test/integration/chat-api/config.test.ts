import { beforeAll, describe, expect, it } from 'vitest';
import { createImageStore } from '../../../lambdas/core/images/create-image-store.ts';
import { createRuntime, type Runtime } from '../../../lambdas/core/runtime.ts';
import { getChatConfig } from '../../../lambdas/core/configs/repository.ts';
import { loadApiHandler, type ApiCall } from '../../support/api-call.ts';
import { createTestEnv } from '../../support/test-runtime.ts';
import { bearer, CHAT_USER } from '../../support/tokens.ts';

let api: (call: ApiCall) => Promise<{ json: Record<string, any> }>;
let rt: Runtime;

beforeAll(async () => {
  const env = await createTestEnv();
  api = await loadApiHandler(env);
  rt = await createRuntime(env, createImageStore);
});

const as = (userId: number) => bearer(CHAT_USER(userId));
const getConfig = async (userId: number) => (await api({ method: 'GET', path: '/ai/chat/config', authorization: await as(userId) })).json;
const putConfig = async (userId: number, body: unknown) => (await api({ method: 'PUT', path: '/ai/chat/config', authorization: await as(userId), body })).json;

describe('GET /ai/chat/config', () => {
  it('answers the front end defaults for a user who never saved, with no null where a value is expected', async () => {
    const res = await getConfig(101);
    expect(res).toMatchObject({ code: 200, success: true });
    expect(res.data).toEqual({
      chatConfigId: null,
      userId: 101,
      temperature: null,
      addHistoryToContext: '0',
      numHistoryRuns: 3,
      systemPrompt: '',
      metricsDefaultVisible: '1',
      visionEnabled: '0',
      imageMaxSizeMb: 5,
      createTime: null,
      updateTime: null,
    });
  });
});

describe('PUT /ai/chat/config', () => {
  it('saves for the caller whatever userId the body names, assigning an integer id on first save', async () => {
    const res = await putConfig(102, { userId: 103, temperature: 1.2, numHistoryRuns: 7, systemPrompt: 'Be brief.', visionEnabled: '1' });
    expect(res).toMatchObject({ code: 200, msg: '保存成功', success: true });
    const saved = (await getConfig(102)).data;
    expect(saved).toMatchObject({ userId: 102, temperature: 1.2, numHistoryRuns: 7, systemPrompt: 'Be brief.', visionEnabled: '1', addHistoryToContext: '0' });
    expect(Number.isInteger(saved.chatConfigId) && saved.chatConfigId > 0).toBe(true);
    expect(saved.createTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    expect((await getConfig(103)).data.chatConfigId).toBeNull();
  });

  it('round-trips the whole object the page sends back, keeping the id', async () => {
    await putConfig(104, { temperature: 0.5 });
    const current = (await getConfig(104)).data;
    const res = await putConfig(104, { ...current, numHistoryRuns: 12, systemPrompt: '' });
    expect(res).toMatchObject({ code: 200, msg: '保存成功' });
    const after = (await getConfig(104)).data;
    expect(after).toMatchObject({ chatConfigId: current.chatConfigId, temperature: 0.5, numHistoryRuns: 12, systemPrompt: '' });
    // A blank prompt is stored as "no prompt", so the stream falls back to the default one.
    expect((await getChatConfig(rt, '104')).systemPrompt).toBeNull();
  });

  it("refuses another user's chatConfigId and changes neither config", async () => {
    await putConfig(105, { temperature: 0.3 });
    await putConfig(106, { temperature: 0.9 });
    const mine = (await getConfig(105)).data;
    const theirs = (await getConfig(106)).data;
    const res = await putConfig(105, { chatConfigId: theirs.chatConfigId, temperature: 2 });
    expect(res).toMatchObject({ code: 500, msg: '只允许修改当前用户的配置', success: false });
    expect((await getConfig(105)).data).toEqual(mine);
    expect((await getConfig(106)).data).toEqual(theirs);
  });

  it('refuses a chatConfigId when the caller has none saved yet, writing nothing', async () => {
    const res = await putConfig(107, { chatConfigId: 1, temperature: 1 });
    expect(res).toMatchObject({ code: 500, msg: '只允许修改当前用户的配置' });
    expect((await getConfig(107)).data.chatConfigId).toBeNull();
  });

  it('keeps every field of concurrent saves of different fields', async () => {
    await putConfig(108, {});
    const { chatConfigId } = (await getConfig(108)).data;
    const results = await Promise.all([
      putConfig(108, { chatConfigId, temperature: 1.5 }),
      putConfig(108, { chatConfigId, numHistoryRuns: 9 }),
      putConfig(108, { chatConfigId, metricsDefaultVisible: '0' }),
      putConfig(108, { chatConfigId, imageMaxSizeMb: 12 }),
    ]);
    for (const r of results) expect(r.msg).toBe('保存成功');
    expect((await getConfig(108)).data).toMatchObject({ chatConfigId, temperature: 1.5, numHistoryRuns: 9, metricsDefaultVisible: '0', imageMaxSizeMb: 12 });
  });

  it.each([
    [{ temperature: 2.1 }, 'temperature: 取值范围0-2'],
    [{ temperature: -0.1 }, 'temperature: 取值范围0-2'],
    [{ temperature: 'warm' }, 'temperature: 必须是数字'],
    [{ numHistoryRuns: 0 }, 'numHistoryRuns: 取值范围1-50'],
    [{ numHistoryRuns: 51 }, 'numHistoryRuns: 取值范围1-50'],
    [{ numHistoryRuns: 2.5 }, 'numHistoryRuns: 必须是整数'],
    [{ imageMaxSizeMb: 0 }, 'imageMaxSizeMb: 取值范围1-20'],
    [{ imageMaxSizeMb: 21 }, 'imageMaxSizeMb: 取值范围1-20'],
    [{ addHistoryToContext: '2' }, 'addHistoryToContext: 只能是 0/1'],
    [{ metricsDefaultVisible: 0 }, 'metricsDefaultVisible: 只能是 0/1'],
    [{ visionEnabled: 'Y' }, 'visionEnabled: 只能是 0/1'],
    [{ systemPrompt: 'x'.repeat(4001) }, 'systemPrompt: 长度不能超过4000个字符'],
    [{ chatConfigId: 'abc' }, 'chatConfigId: 必须是正整数'],
  ])('refuses %j with 601 and changes nothing', async (body, msg) => {
    await putConfig(109, { temperature: 1 });
    const before = (await getConfig(109)).data;
    const res = await putConfig(109, { chatConfigId: before.chatConfigId, ...body });
    expect(res).toMatchObject({ code: 601, msg, success: false });
    expect((await getConfig(109)).data).toEqual(before);
  });

  it('refuses a body that is not a JSON object', async () => {
    expect((await putConfig(110, '{"temperature":')).code).toBe(601);
    expect((await putConfig(110, '[1]')).code).toBe(601);
    expect((await getConfig(110)).data.chatConfigId).toBeNull();
  });
});

describe('permission', () => {
  const chatCalls: ApiCall[] = [
    { method: 'GET', path: '/ai/chat/config' },
    { method: 'PUT', path: '/ai/chat/config', body: {} },
    { method: 'GET', path: '/ai/chat/session/list' },
    { method: 'GET', path: '/ai/chat/session/3f1c2a9e-5b7d-4c1e-9a2b-0d4e6f8a1b2c' },
    { method: 'DELETE', path: '/ai/chat/session/3f1c2a9e-5b7d-4c1e-9a2b-0d4e6f8a1b2c' },
    { method: 'POST', path: '/ai/chat/cancel', body: { runId: '3f1c2a9e-5b7d-4c1e-9a2b-0d4e6f8a1b2c' } },
    { method: 'POST', path: '/ai/chat/upload', body: { fileName: 'a.png', contentType: 'image/png', size: 10 } },
  ];

  it.each(chatCalls)('$method $path needs ai:chat:list and a token', async (call) => {
    const noPerm = await bearer({ user_id: 120, perms: ['ai:model:list'] });
    expect((await api({ ...call, authorization: noPerm })).json).toMatchObject({ code: 403, msg: '该用户无此接口权限', success: false });
    expect((await api(call)).json).toMatchObject({ code: 401, success: false });
  });

  it('a user without the permission saved nothing', async () => {
    expect((await getChatConfig(rt, '120')).chatConfigId).toBeNull();
  });
});
