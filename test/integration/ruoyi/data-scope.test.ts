import { beforeAll, describe, expect, it } from 'vitest';
import { failCaseOnUnhandledRejection } from '../robustness/support/rejections.ts';
import { setUpRuoyiWorld, type RuoyiWorld } from '../../support/ruoyi-world.ts';

/**
 * RuoYi's data scopes on models, through the real api and stream handlers: each
 * caller's roles come from the stand-in's `/getInfo`, and each model was made through
 * the API by a user of its department (so it carries its creator's department
 * ancestors). Tree: 100 ⊃ {101 ⊃ 103, 102}.
 */

let w: RuoyiWorld;
const ids: Record<string, number> = {};

failCaseOnUnhandledRejection();

const create = async (userName: string, modelCode: string) => {
  const authorization = await w.ruoyi.bearer(userName);
  const body = { modelCode, provider: 'OpenAI', modelSort: 1, baseUrl: 'https://api.example.com/v1' };
  expect((await w.api({ method: 'POST', path: '/ai/model', authorization, body })).json.code).toBe(200);
  ids[modelCode] = (await w.api({ method: 'GET', path: '/ai/model/list', authorization, query: { modelCode } })).json.rows[0].modelId;
};

beforeAll(async () => {
  w = await setUpRuoyiWorld();
  await create('maker100', 'm100');
  await create('maker101', 'm101');
  await create('maker102', 'm102');
  await create('maker103', 'm103');
  await create('scope5', 'own-scope5');
  // scope3+5 made this one while it belonged to department 103; it has moved to 102 since.
  w.ruoyi.users.get(36)!.deptId = 103;
  await create('scope3+5', 'own-scope35');
  w.ruoyi.users.get(36)!.deptId = 102;
  await create('scope2+5', 'own-scope25');
});

const codesOf = (rows: { modelId: number }[]) => rows.map((r) => Object.keys(ids).find((code) => ids[code] === r.modelId)).sort();

const visible = async (userName: string) => {
  const authorization = await w.ruoyi.bearer(userName);
  const list = (await w.api({ method: 'GET', path: '/ai/model/list', authorization, query: { pageSize: '500' } })).json;
  const all = (await w.api({ method: 'GET', path: '/ai/model/all', authorization })).json;
  expect(codesOf(all.data)).toEqual(codesOf(list.rows));
  return codesOf(list.rows);
};

const EVERY = ['m100', 'm101', 'm102', 'm103', 'own-scope25', 'own-scope35', 'own-scope5'];

describe.each([
  ['admin', 'user.admin', EVERY],
  ['scope1', '1 all', EVERY],
  ['scope2', '2 custom (needs the role-department table /getInfo lacks): nothing', []],
  ['scope3', '3 own department (101)', ['m101', 'own-scope25', 'own-scope5']],
  ['scope4', '4 department 101 and below (103)', ['m101', 'm103', 'own-scope25', 'own-scope35', 'own-scope5']],
  ['scope5', '5 own models', ['own-scope5']],
  ['scope3+5', '3 and 5 combined: department 102, and its own model made in 103', ['m102', 'own-scope35']],
  ['scope2+5', '2 and 5 combined: only its own model', ['own-scope25']],
])('%s (%s)', (userName, _scope, expected) => {
  it('lists exactly the models in scope (list and the chat picker)', async () => {
    expect(await visible(userName)).toEqual([...expected].sort());
  });

  it('is answered 没有权限访问AI模型数据 for every model outside it, on the REST API and the stream', async () => {
    const authorization = await w.ruoyi.bearer(userName);
    for (const code of EVERY.filter((c) => !expected.includes(c))) {
      const detail = await w.api({ method: 'GET', path: `/ai/model/${ids[code]}`, authorization });
      expect(detail.json).toMatchObject({ code: 500, msg: '没有权限访问AI模型数据' });
      const chat = await w.h.send({ modelId: ids[code], message: 'hi' }, { authorization });
      expect(chat.envelope).toMatchObject({ code: 500, msg: '没有权限访问AI模型数据' });
    }
    expect(w.h.modelServer.stats.requests).toEqual([]);
  });
});

describe('a change of roles in RuoYi', () => {
  it('applies to the next token: a fresh login sees the new scope', async () => {
    const user = w.ruoyi.users.get(35)!;
    user.roleIds = [13];
    try {
      expect(await visible('scope5')).toEqual(['m101', 'm103', 'own-scope25', 'own-scope35', 'own-scope5']);
    } finally {
      user.roleIds = [14];
    }
  });
});
