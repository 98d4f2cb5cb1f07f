import { beforeAll, describe, expect, it } from 'vitest';
import { createLocalCipher, loadOrCreateLocalKey } from '../../../lambdas/core/crypto/local-cipher.ts';
import { createDocumentClient } from '../../../lambdas/core/db/client.ts';
import { getModel } from '../../../lambdas/core/models/repository.ts';
import { API_KEY_MASK } from '../../../lambdas/core/models/schema.ts';
import { loadApiHandler, type ApiCall } from '../../support/api-call.ts';
import { createTestEnv } from '../../support/test-runtime.ts';
import { ADMIN, bearer, CHAT_USER } from '../../support/tokens.ts';

let api: (call: ApiCall) => Promise<{ status?: number; json: Record<string, any> }>;
let env: Record<string, string>;
let admin: string;

const SECRET_KEY = 'sk-test-VERY-SECRET-0123456789';

const model = (over: Record<string, unknown> = {}) => ({
  modelCode: 'gpt-test',
  modelName: 'Test model',
  provider: 'OpenAI',
  modelSort: 1,
  apiKey: SECRET_KEY,
  baseUrl: 'https://api.example.com/v1',
  maxTokens: 1024,
  temperature: 0.7,
  supportReasoning: 'N',
  supportImages: 'N',
  modelType: 'chat',
  status: '0',
  ...over,
});

const deps = () => ({
  db: createDocumentClient({ endpoint: env.DYNAMODB_ENDPOINT }),
  tables: { models: env.MODELS_TABLE!, configs: env.CONFIGS_TABLE!, sessions: env.SESSIONS_TABLE! },
});

const add = async (over: Record<string, unknown> = {}, auth = admin) =>
  (await api({ method: 'POST', path: '/ai/model', authorization: auth, body: model(over) })).json;

const listAll = async (auth = admin) => (await api({ method: 'GET', path: '/ai/model/list', authorization: auth, query: { pageSize: '500' } })).json;

const idOf = async (code: string) => (await listAll()).rows.find((r: any) => r.modelCode === code).modelId as number;

/** Everything written to stdout/stderr while `fn` runs. */
const captureOutput = async (fn: () => Promise<unknown>): Promise<string> => {
  const chunks: string[] = [];
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const grab = (chunk: unknown) => {
    chunks.push(String(chunk));
    return true;
  };
  process.stdout.write = grab as typeof process.stdout.write;
  process.stderr.write = grab as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  return chunks.join('');
};

beforeAll(async () => {
  env = await createTestEnv({ LOG_LEVEL: 'DEBUG' });
  api = await loadApiHandler(env);
  admin = await bearer(ADMIN);
});

describe('POST /ai/model', () => {
  it('creates a model with an integer id, stores only the ciphertext, masks the key', async () => {
    const res = await add({ modelCode: 'create-1' });
    expect(res).toMatchObject({ code: 200, msg: '新增成功', success: true });
    const id = await idOf('create-1');
    expect(Number.isInteger(id) && id > 0).toBe(true);
    const stored = await getModel(deps(), id);
    expect(JSON.stringify(stored)).not.toContain(SECRET_KEY);
    const cipher = createLocalCipher(loadOrCreateLocalKey(env.LOCAL_CIPHER_KEY_FILE!));
    expect(await cipher.decrypt(stored!.apiKeyCipher!, { modelId: id })).toBe(SECRET_KEY);
    await expect(cipher.decrypt(stored!.apiKeyCipher!, { modelId: id + 1 })).rejects.toThrow();
    expect(stored).toMatchObject({ userId: '1', createBy: 'admin' });
  });

  it('assigns distinct ids to concurrent creates', async () => {
    await Promise.all(Array.from({ length: 8 }, (_, i) => add({ modelCode: `concurrent-${i}` })));
    const ids = (await listAll()).rows.filter((r: any) => r.modelCode.startsWith('concurrent-')).map((r: any) => r.modelId);
    expect(new Set(ids).size).toBe(8);
  });

  it.each([
    [{ modelCode: '' }, '模型编码不能为空'],
    [{ modelCode: undefined }, '模型编码不能为空'],
    [{ modelCode: 'x'.repeat(101) }, '模型编码长度不能超过100个字符'],
    [{ baseUrl: '' }, 'Base URL不能为空'],
    [{ baseUrl: undefined }, 'Base URL不能为空'],
    [{ baseUrl: `https://a.com/${'x'.repeat(250)}` }, 'Base URL长度不能超过255个字符'],
    [{ provider: undefined }, '模型提供商不能为空'],
    [{ provider: 'NotAProvider' }, '不支持的模型提供商'],
    [{ modelSort: undefined }, '显示顺序不能为空'],
    [{ modelSort: '1' }, '显示顺序不能为空'],
    [{ temperature: 3 }, 'temperature: 取值范围0-2'],
    [{ temperature: 'hot' }, 'temperature: 必须是数字'],
    [{ maxTokens: 1.5 }, 'maxTokens: 必须是整数'],
    [{ status: '2' }, 'status: 只能是 0/1'],
    [{ supportImages: 'yes' }, 'supportImages: 只能是 Y/N'],
  ])('refuses %j with 601 %s and writes nothing', async (over, msg) => {
    const before = (await listAll()).total;
    const res = await add({ modelCode: 'bad', ...over });
    expect(res).toMatchObject({ code: 601, msg, success: false });
    expect((await listAll()).total).toBe(before);
  });

  it('ignores unknown fields and refuses malformed JSON', async () => {
    expect(await add({ modelCode: 'extra', hacker: true, apiKeyCipher: 'forged' })).toMatchObject({ code: 200 });
    const stored = await getModel(deps(), await idOf('extra'));
    expect(stored).not.toHaveProperty('hacker');
    expect(stored!.apiKeyCipher).not.toBe('forged');
    const res = await api({ method: 'POST', path: '/ai/model', authorization: admin, body: '{"modelCode":' });
    expect(res.json).toMatchObject({ code: 601, success: false });
  });
});

describe('reads mask the key everywhere', () => {
  it('list, all and detail never show the key', async () => {
    await add({ modelCode: 'masked' });
    const id = await idOf('masked');
    const list = await listAll();
    const all = (await api({ method: 'GET', path: '/ai/model/all', authorization: admin })).json;
    const detail = (await api({ method: 'GET', path: `/ai/model/${id}`, authorization: admin })).json;
    for (const body of [list, all, detail]) {
      expect(JSON.stringify(body)).not.toContain(SECRET_KEY);
      expect(JSON.stringify(body)).not.toContain('apiKeyCipher');
    }
    expect(detail.data).toMatchObject({ modelId: id, apiKey: API_KEY_MASK, modelCode: 'masked', userId: 1 });
    expect(list.rows.find((r: any) => r.modelId === id).apiKey).toBe(API_KEY_MASK);
  });

  it('a model without a key shows null', async () => {
    await add({ modelCode: 'nokey', apiKey: '' });
    const detail = (await api({ method: 'GET', path: `/ai/model/${await idOf('nokey')}`, authorization: admin })).json;
    expect(detail.data.apiKey).toBeNull();
  });
});

describe('GET /ai/model/list', () => {
  it('filters by contains on name and code, orders by modelSort, pages', async () => {
    await add({ modelCode: 'page-c', modelName: 'Paged Gamma', modelSort: 30 });
    await add({ modelCode: 'page-a', modelName: 'Paged Alpha', modelSort: 10 });
    await add({ modelCode: 'page-b', modelName: 'Paged Beta', modelSort: 20, status: '1' });
    const page1 = (await api({ method: 'GET', path: '/ai/model/list', authorization: admin, query: { modelName: 'paged', pageNum: '1', pageSize: '2' } })).json;
    expect(page1).toMatchObject({ code: 200, total: 3, pageNum: 1, pageSize: 2, hasNext: true });
    expect(page1.rows.map((r: any) => r.modelCode)).toEqual(['page-a', 'page-b']);
    const page2 = (await api({ method: 'GET', path: '/ai/model/list', authorization: admin, query: { modelName: 'paged', pageNum: '2', pageSize: '2' } })).json;
    expect(page2).toMatchObject({ total: 3, hasNext: false });
    expect(page2.rows.map((r: any) => r.modelCode)).toEqual(['page-c']);
    const byCode = (await api({ method: 'GET', path: '/ai/model/list', authorization: admin, query: { modelCode: 'GE-B' } })).json;
    expect(byCode.rows.map((r: any) => r.modelCode)).toEqual(['page-b']);
    const disabled = (await api({ method: 'GET', path: '/ai/model/list', authorization: admin, query: { modelName: 'paged', status: '1' } })).json;
    expect(disabled.rows.map((r: any) => r.modelCode)).toEqual(['page-b']);
  });

  it('refuses bad paging with 601', async () => {
    const res = await api({ method: 'GET', path: '/ai/model/list', authorization: admin, query: { pageNum: '-1' } });
    expect(res.json).toMatchObject({ code: 601, msg: 'pageNum: 必须是正整数' });
  });

  it('/all lists enabled models only, in modelSort order', async () => {
    const all = (await api({ method: 'GET', path: '/ai/model/all', authorization: await bearer({ user_id: 99 }) })).json;
    const codes = all.data.map((m: any) => m.modelCode);
    expect(codes).not.toContain('page-b');
    expect(codes.indexOf('page-a')).toBeLessThan(codes.indexOf('page-c'));
  });
});

describe('PUT /ai/model', () => {
  it('the mask keeps the stored key, a new key replaces it, other fields update', async () => {
    await add({ modelCode: 'edit-me' });
    const id = await idOf('edit-me');
    const before = await getModel(deps(), id);
    const res = await api({ method: 'PUT', path: '/ai/model', authorization: admin, body: model({ modelId: id, modelCode: 'edited', apiKey: API_KEY_MASK }) });
    expect(res.json).toMatchObject({ code: 200, msg: '修改成功' });
    const kept = await getModel(deps(), id);
    expect(kept).toMatchObject({ modelCode: 'edited', apiKeyCipher: before!.apiKeyCipher, createTime: before!.createTime, updateBy: 'admin' });
    await api({ method: 'PUT', path: '/ai/model', authorization: admin, body: model({ modelId: id, apiKey: 'sk-new-key' }) });
    const changed = await getModel(deps(), id);
    expect(changed!.apiKeyCipher).not.toBe(before!.apiKeyCipher);
  });

  it('AI模型不存在 for an unknown id; 601 without an id', async () => {
    const missing = await api({ method: 'PUT', path: '/ai/model', authorization: admin, body: model({ modelId: 999_999 }) });
    expect(missing.json).toMatchObject({ code: 500, msg: 'AI模型不存在' });
    const noId = await api({ method: 'PUT', path: '/ai/model', authorization: admin, body: model() });
    expect(noId.json).toMatchObject({ code: 601, msg: 'modelId: 必须是正整数' });
  });
});

describe('GET /ai/model/{id}', () => {
  it('answers an empty object for an absent model and 601 for a non-integer id', async () => {
    expect((await api({ method: 'GET', path: '/ai/model/424242', authorization: admin })).json).toMatchObject({ code: 200, data: {} });
    expect((await api({ method: 'GET', path: '/ai/model/abc', authorization: admin })).json).toMatchObject({ code: 601 });
    expect((await api({ method: 'GET', path: '/ai/model/1.5', authorization: admin })).json).toMatchObject({ code: 601 });
  });
});

describe('DELETE /ai/model/{ids}', () => {
  it('deletes comma-separated ids', async () => {
    await add({ modelCode: 'del-1' });
    await add({ modelCode: 'del-2' });
    const ids = [await idOf('del-1'), await idOf('del-2')];
    const res = await api({ method: 'DELETE', path: `/ai/model/${ids.join(',')}`, authorization: admin });
    expect(res.json).toMatchObject({ code: 200, msg: '删除成功' });
    expect(await getModel(deps(), ids[0]!)).toBeUndefined();
    expect(await getModel(deps(), ids[1]!)).toBeUndefined();
  });

  it('传入AI模型id为空 for no ids, 601 for bad ones', async () => {
    expect((await api({ method: 'DELETE', path: '/ai/model/,', authorization: admin })).json).toMatchObject({ code: 500, msg: '传入AI模型id为空' });
    expect((await api({ method: 'DELETE', path: '/ai/model/1,x', authorization: admin })).json).toMatchObject({ code: 601 });
  });
});

describe('auth and permissions', () => {
  it('401 without or with a bad token', async () => {
    for (const authorization of [undefined, 'Bearer nope', 'Basic abc', await bearer(ADMIN, { secret: 'another-secret-another-secret-xx' })]) {
      const res = await api({ method: 'GET', path: '/ai/model/all', authorization });
      expect(res.json).toMatchObject({ code: 401, success: false });
    }
  });

  it.each([
    ['GET', '/ai/model/list', 'ai:model:list'],
    ['GET', '/ai/model/1', 'ai:model:query'],
    ['POST', '/ai/model', 'ai:model:add'],
    ['PUT', '/ai/model', 'ai:model:edit'],
    ['DELETE', '/ai/model/1', 'ai:model:remove'],
  ] as const)('%s %s needs %s', async (method, path, perm) => {
    const without = await api({ method, path, authorization: await bearer(CHAT_USER(5)), body: model({ modelId: 1 }) });
    expect(without.json).toMatchObject({ code: 403, msg: '该用户无此接口权限' });
    const withPerm = await api({
      method,
      path,
      authorization: await bearer({ user_id: 5, perms: [perm] }),
      body: model({ modelId: 1, modelCode: `perm-${perm}` }),
    });
    expect(withPerm.json.code).not.toBe(403);
  });

  it('admin by role or by *:*:*', async () => {
    for (const claims of [
      { user_id: 8, roles: ['admin'] },
      { user_id: 9, perms: ['*:*:*'] },
    ]) {
      expect((await api({ method: 'GET', path: '/ai/model/list', authorization: await bearer(claims) })).json.code).toBe(200);
    }
  });
});

describe('data scope', () => {
  it('self and dept scopes see and touch only their models', async () => {
    const perms = ['ai:model:list', 'ai:model:query', 'ai:model:add', 'ai:model:edit', 'ai:model:remove'];
    const alice = await bearer({ user_id: 20, dept_id: 100, perms, data_scope: 'self' });
    const bob = await bearer({ user_id: 21, dept_id: 100, perms, data_scope: 'self' });
    const deptMate = await bearer({ user_id: 22, dept_id: 100, perms, data_scope: 'dept' });
    const otherDept = await bearer({ user_id: 23, dept_id: 200, perms, data_scope: 'dept' });
    await add({ modelCode: 'alice-model' }, alice);
    const id = await idOf('alice-model');

    const codes = async (auth: string) => (await listAll(auth)).rows.map((r: any) => r.modelCode);
    expect(await codes(alice)).toEqual(['alice-model']);
    expect(await codes(bob)).toEqual([]);
    expect(await codes(deptMate)).toEqual(['alice-model']);
    expect(await codes(otherDept)).toEqual([]);

    for (const auth of [bob, otherDept]) {
      expect((await api({ method: 'GET', path: `/ai/model/${id}`, authorization: auth })).json).toMatchObject({ code: 500, msg: '没有权限访问AI模型数据' });
      expect((await api({ method: 'PUT', path: '/ai/model', authorization: auth, body: model({ modelId: id, modelCode: 'stolen' }) })).json.msg).toBe(
        '没有权限访问AI模型数据',
      );
      expect((await api({ method: 'DELETE', path: `/ai/model/${id}`, authorization: auth })).json.msg).toBe('没有权限访问AI模型数据');
    }
    expect(await getModel(deps(), id)).toMatchObject({ modelCode: 'alice-model' });
  });
});

describe('secrets stay out of logs', () => {
  it('no log line carries the API key, even on failures at debug level', async () => {
    const output = await captureOutput(async () => {
      await add({ modelCode: 'log-check' });
      const id = await idOf('log-check');
      await api({ method: 'PUT', path: '/ai/model', authorization: admin, body: model({ modelId: id, apiKey: `${SECRET_KEY}-2` }) });
      await api({ method: 'POST', path: '/ai/model', authorization: admin, body: model({ provider: 'Nope' }) });
    });
    expect(output).not.toContain(SECRET_KEY);
  });
});

describe('envelope', () => {
  it('unknown route is 404 in the envelope; success carries time', async () => {
    const res = await api({ method: 'GET', path: '/ai/nothing', authorization: admin });
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ code: 404, success: false });
    const ok = (await api({ method: 'GET', path: '/ai/model/all', authorization: admin })).json;
    expect(ok.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  });
});
