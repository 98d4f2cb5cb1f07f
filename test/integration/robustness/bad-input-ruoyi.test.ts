import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { setUpRuoyiWorld, type RuoyiWorld } from '../../support/ruoyi-world.ts';
import { TEST_JWT_SECRET } from '../../support/tokens.ts';
import { expectRefusal, send, type Target } from './support/corpus.ts';
import { failCaseOnUnhandledRejection } from './support/rejections.ts';
import { dumpTables } from './support/tables.ts';
import { hs256AuthDefects, tamperPayload } from './support/token-defects.ts';

/**
 * The token part of the bad-input corpus for a RuoYi deployment (RUOYI_API_URL set):
 * every HS256 defect of the claims mode, and tokens that are well signed but that
 * RuoYi no longer (or never) accepted, or whose claims try to grant what only
 * RuoYi's /getInfo may. Each is 401 on both functions, changes no table and reaches
 * no model; those that fail the signature check never reach RuoYi either.
 */

let w: RuoyiWorld;
let modelId: number;

failCaseOnUnhandledRejection();

const AUTH_MSG = '认证失败，无法访问系统资源';
const nowS = () => Math.floor(Date.now() / 1000);

/** A token in RuoYi's claim shape signed with RuoYi's secret, which RuoYi's Redis never held. */
const unknownToRuoyi = (claims: Record<string, unknown>) =>
  new SignJWT({ user_name: 'chatter', dept_name: '研发部门', session_id: crypto.randomUUID(), login_info: null, exp: nowS() + 3600, ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));

beforeAll(async () => {
  w = await setUpRuoyiWorld({}, TEST_JWT_SECRET);
  modelId = (await w.h.addModel({ userId: '2', deptId: '103' })).modelId;
});

/** Defects refused by our own checks, before RuoYi is asked. */
const localDefects = async (): Promise<[string, string | undefined][]> => {
  const token = await w.ruoyi.login('chatter');
  return [
    ...(await hs256AuthDefects({ user_id: '2', user_name: 'chatter', session_id: crypto.randomUUID() })),
    ['a RuoYi token, user_id tampered to the admin', `Bearer ${tamperPayload(token, { user_id: '1', session_id: 'x', exp: nowS() + 3600 })}`],
    ['a well-signed token whose user_id is no number', `Bearer ${await unknownToRuoyi({ user_id: 'admin' })}`],
    ['a well-signed token whose user_id is a list', `Bearer ${await unknownToRuoyi({ user_id: ['1'] })}`],
    ["a well-signed token in RuoYi's shape past its exp", `Bearer ${await unknownToRuoyi({ user_id: '2', exp: nowS() - 60 })}`],
  ];
};

/** Well-signed tokens that only RuoYi can refuse. */
const ruoyiDefects = async (): Promise<[string, string][]> => {
  const loggedOut = await w.ruoyi.login('chatter');
  await w.ruoyi.logout(loggedOut);
  return [
    ['a logged-out RuoYi token', `Bearer ${loggedOut}`],
    [
      'a dev-style token claiming the admin (user_id 1, *:*:*, role admin), never issued by RuoYi',
      `Bearer ${await unknownToRuoyi({ user_id: '1', perms: ['*:*:*'], roles: ['admin'], data_scope: 'all' })}`,
    ],
    ['a token of a user RuoYi does not know', `Bearer ${await unknownToRuoyi({ user_id: '9999' })}`],
  ];
};

const targets = (authorization: string | undefined): Target[] => [
  { handler: 'stream', body: { modelId, message: 'hi' }, authorization },
  { handler: 'rest', call: { method: 'GET', path: '/ai/chat/session/list', authorization } },
  { handler: 'rest', call: { method: 'PUT', path: '/ai/chat/config', authorization, body: { temperature: 1 } } },
];

const refusedEverywhere = async (cases: [string, string | undefined][], code: number, msg: string) => {
  for (const [name, authorization] of cases) {
    const before = await dumpTables(w.store);
    for (const target of targets(authorization)) {
      const answer = await send(w.h, w.api, target);
      expect(answer.envelope.code, name).toBe(code);
      expectRefusal(answer, code, msg);
    }
    expect(await dumpTables(w.store)).toEqual(before);
  }
};

describe('RuoYi deployment: token defects', () => {
  it('control: a RuoYi token is accepted by both functions', async () => {
    const auth = await w.ruoyi.bearer('chatter');
    const answers = await Promise.all(targets(auth).map((t) => send(w.h, w.api, t)));
    expect(answers.map((a) => a.streamed || a.envelope.code)).toEqual([true, 200, 200]);
  });

  it('refuses every defect our own checks catch with 401, without asking RuoYi', async () => {
    const cases = await localDefects();
    expect(cases.length).toBeGreaterThanOrEqual(25);
    const before = w.ruoyi.calls.getInfo;
    const requests = w.h.modelServer.stats.requests.length;
    await refusedEverywhere(cases, 401, AUTH_MSG);
    expect(w.ruoyi.calls.getInfo).toBe(before);
    expect(w.h.modelServer.stats.requests.length).toBe(requests);
  });

  it('refuses well-signed tokens RuoYi does not accept with 401: claims in a token grant nothing', async () => {
    const requests = w.h.modelServer.stats.requests.length;
    await refusedEverywhere(await ruoyiDefects(), 401, AUTH_MSG);
    expect(w.h.modelServer.stats.requests.length).toBe(requests);
  });

  it('refuses what /getInfo does not grant with 403', async () => {
    const noChat = await w.ruoyi.bearer('no-chat');
    await refusedEverywhere([['a RuoYi user without ai:chat:list', noChat]], 403, '该用户无此接口权限');
    const chatter = await w.ruoyi.bearer('chatter');
    const before = await dumpTables(w.store);
    const add = await send(w.h, w.api, {
      handler: 'rest',
      call: {
        method: 'POST',
        path: '/ai/model',
        authorization: chatter,
        body: { modelCode: 'x', provider: 'OpenAI', modelSort: 1, baseUrl: 'https://a.example/v1' },
      },
    });
    expectRefusal(add, 403, '该用户无此接口权限');
    const remove = await send(w.h, w.api, { handler: 'rest', call: { method: 'DELETE', path: `/ai/model/${modelId}`, authorization: chatter } });
    expectRefusal(remove, 403, '该用户无此接口权限');
    expect(await dumpTables(w.store)).toEqual(before);
  });
});
