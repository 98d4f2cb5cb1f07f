import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { getModel } from '../../../lambdas/core/models/repository.ts';
import { failCaseOnUnhandledRejection } from '../robustness/support/rejections.ts';
import { setUpRuoyiWorld, type RuoyiWorld } from '../../support/ruoyi-world.ts';

/**
 * RuoYi mode through both real handlers: users log in to the RuoYi stand-in and call
 * this service with RuoYi's token and nothing else; permissions, admin and data scope
 * come from RuoYi's `/getInfo`.
 */

let w: RuoyiWorld;
/** A model of department 103, made by a model editor of that department. */
let modelId: number;

failCaseOnUnhandledRejection();

const modelBody = (modelCode: string) => ({
  modelCode,
  provider: 'OpenAI',
  modelSort: 1,
  baseUrl: 'https://api.example.com/v1',
  status: '0',
});

const idOf = async (authorization: string, modelCode: string) =>
  (await w.api({ method: 'GET', path: '/ai/model/list', authorization, query: { modelCode } })).json.rows[0].modelId as number;

beforeAll(async () => {
  w = await setUpRuoyiWorld();
  modelId = (await w.h.addModel({ modelCode: 'dept-103', userId: '23', deptId: '103', deptAncestors: ['0', '100', '101'] })).modelId;
});

describe('a normal RuoYi user (role common: ai:chat:list from its menus, data scope 3)', () => {
  it("holds a token in RuoYi's claim shape: no permission, role or scope claims", async () => {
    const claims = decodeJwt(await w.ruoyi.login('chatter'));
    expect(Object.keys(claims).sort()).toEqual(['dept_name', 'exp', 'login_info', 'session_id', 'user_id', 'user_name']);
    expect(claims.user_id).toBe('2');
  });

  it('uses every chat feature: config, models, send, sessions, cancel, delete', async () => {
    const auth = await w.ruoyi.bearer('chatter');
    const api = (call: Omit<Parameters<RuoyiWorld['api']>[0], 'authorization'>) => w.api({ ...call, authorization: auth });

    expect((await api({ method: 'GET', path: '/ai/chat/config' })).json).toMatchObject({ code: 200, data: { userId: 2 } });
    expect((await api({ method: 'PUT', path: '/ai/chat/config', body: { temperature: 0.4 } })).json).toMatchObject({ code: 200, msg: '保存成功' });
    expect((await api({ method: 'GET', path: '/ai/chat/config' })).json.data.temperature).toBe(0.4);
    expect((await api({ method: 'GET', path: '/ai/model/all' })).json.data.map((m: { modelId: number }) => m.modelId)).toEqual([modelId]);

    const turn = await w.h.send({ modelId, message: '[[interval=0]] hello' }, { authorization: auth });
    expect(turn.lines.map((l) => l.type).at(-1)).toBe('metrics');
    const sessionId = turn.lines[0]!.session_id as string;
    expect((await api({ method: 'GET', path: '/ai/chat/session/list' })).json.data.map((s: { sessionId: string }) => s.sessionId)).toEqual([sessionId]);
    const detail = (await api({ method: 'GET', path: `/ai/chat/session/${sessionId}` })).json;
    expect(detail).toMatchObject({ code: 200, data: { sessionId, userId: 2 } });
    expect(detail.data.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant']);

    const { capture, done } = w.h.open({ modelId, message: '[[interval=20 chunks=200]] long', sessionId }, { authorization: auth });
    await capture.until((lines) => lines.some((l) => l.type === 'run_info'));
    const runId = capture.ofType('run_info')[0]!.run_id as string;
    expect((await api({ method: 'POST', path: '/ai/chat/cancel', body: { runId } })).json).toMatchObject({ code: 200, msg: '取消成功' });
    await done;
    expect(capture.lines.at(-1)!.type).not.toBe('metrics');

    expect((await api({ method: 'DELETE', path: `/ai/chat/session/${sessionId}` })).json).toMatchObject({ code: 200, msg: '删除成功' });
    expect((await api({ method: 'GET', path: '/ai/chat/session/list' })).json.data).toEqual([]);
  });

  it('is refused the model admin pages its menus do not grant', async () => {
    const auth = await w.ruoyi.bearer('chatter');
    expect((await w.api({ method: 'GET', path: '/ai/model/list', authorization: auth })).json).toMatchObject({ code: 403, msg: '该用户无此接口权限' });
    expect((await w.api({ method: 'POST', path: '/ai/model', authorization: auth, body: modelBody('nope') })).json.code).toBe(403);
  });
});

describe('a RuoYi user without ai:chat:list', () => {
  it('is refused the chat on both functions with 403', async () => {
    const auth = await w.ruoyi.bearer('no-chat');
    expect((await w.api({ method: 'GET', path: '/ai/chat/config', authorization: auth })).json).toMatchObject({ code: 403, msg: '该用户无此接口权限' });
    const refused = await w.h.send({ modelId, message: 'hi' }, { authorization: auth });
    expect(refused.envelope).toMatchObject({ code: 403, msg: '该用户无此接口权限' });
  });
});

describe('a model editor without admin (data scope 4, department 101)', () => {
  it('creates, lists, edits and deletes models in scope; the creator department and its ancestors are stored', async () => {
    const auth = await w.ruoyi.bearer('scope4');
    expect((await w.api({ method: 'POST', path: '/ai/model', authorization: auth, body: modelBody('editor-own') })).json).toMatchObject({
      code: 200,
      msg: '新增成功',
    });
    const own = await idOf(auth, 'editor-own');
    expect(await getModel(w.store, own)).toMatchObject({ userId: '34', deptId: '101', deptAncestors: ['0', '100'], createBy: 'scope4' });

    const edited = await w.api({
      method: 'PUT',
      path: '/ai/model',
      authorization: auth,
      body: { ...modelBody('editor-own'), modelId: own, modelName: 'renamed' },
    });
    expect(edited.json).toMatchObject({ code: 200, msg: '修改成功' });
    const below = await w.api({ method: 'PUT', path: '/ai/model', authorization: auth, body: { ...modelBody('dept-103'), modelId, modelName: 'from 101' } });
    expect(below.json).toMatchObject({ code: 200, msg: '修改成功' });
    expect((await w.api({ method: 'GET', path: `/ai/model/${modelId}`, authorization: auth })).json.data).toMatchObject({ modelName: 'from 101', deptId: 103 });

    expect((await w.api({ method: 'DELETE', path: `/ai/model/${own}`, authorization: auth })).json).toMatchObject({ code: 200, msg: '删除成功' });
    expect(await getModel(w.store, own)).toBeUndefined();
  });

  it('is refused a model of a sibling department on every route', async () => {
    const other = (await w.h.addModel({ modelCode: 'dept-102', userId: '22', deptId: '102', deptAncestors: ['0', '100'] })).modelId;
    const auth = await w.ruoyi.bearer('scope4');
    const refused = { code: 500, msg: '没有权限访问AI模型数据' };
    expect((await w.api({ method: 'GET', path: `/ai/model/${other}`, authorization: auth })).json).toMatchObject(refused);
    expect((await w.api({ method: 'PUT', path: '/ai/model', authorization: auth, body: { ...modelBody('x'), modelId: other } })).json).toMatchObject(refused);
    expect((await w.api({ method: 'DELETE', path: `/ai/model/${other}`, authorization: auth })).json).toMatchObject(refused);
    expect((await w.h.send({ modelId: other, message: 'hi' }, { authorization: auth })).envelope).toMatchObject(refused);
    expect(await getModel(w.store, other)).toMatchObject({ modelCode: 'dept-102' });
  });
});

describe("RuoYi's admin (user.admin, *:*:*)", () => {
  it('sees and manages every model', async () => {
    const auth = await w.ruoyi.bearer('admin');
    const list = (await w.api({ method: 'GET', path: '/ai/model/list', authorization: auth, query: { pageSize: '500' } })).json;
    expect(list.rows.map((m: { modelId: number }) => m.modelId)).toContain(modelId);
    expect((await w.api({ method: 'GET', path: `/ai/model/${modelId}`, authorization: auth })).json.code).toBe(200);
  });
});
