import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectRefusal, send } from '../robustness/support/corpus.ts';
import { failCaseOnUnhandledRejection } from '../robustness/support/rejections.ts';
import { dumpTables } from '../robustness/support/tables.ts';
import { setUpRuoyiWorld, type RuoyiWorld } from '../../support/ruoyi-world.ts';
import { AUTH_MSG } from '../../../lambdas/core/wire/messages.ts';

/**
 * RuoYi mode with the default 30 s identity cache and a short timeout, through both
 * real handlers: what reaches RuoYi, what a logout means within the interval, and
 * how an outage, a slow RuoYi and RuoYi's own failures are answered.
 */

/** Short enough for the slow-RuoYi case, long enough for a loaded test machine. */
const TIMEOUT_MS = 2000;

let w: RuoyiWorld;
let modelId: number;

failCaseOnUnhandledRejection();

beforeAll(async () => {
  w = await setUpRuoyiWorld({ RUOYI_IDENTITY_TIMEOUT_MS: String(TIMEOUT_MS) });
  modelId = (await w.h.addModel({ userId: '2', deptId: '103' })).modelId;
});

beforeEach(async () => {
  await w.ruoyi.setDown(false);
  w.ruoyi.delayMs = 0;
  w.ruoyi.getInfoOverride = undefined;
});

const config = (authorization: string) => w.api({ method: 'GET', path: '/ai/chat/config', authorization });

/** getInfo calls made while `fn` ran. */
const getInfoCalls = async (fn: () => Promise<unknown>) => {
  const before = w.ruoyi.calls.getInfo;
  await fn();
  return w.ruoyi.calls.getInfo - before;
};

describe('the identity cache', () => {
  it('asks RuoYi once per function instance for a busy token', async () => {
    const auth = await w.ruoyi.bearer('chatter');
    const restCalls = await getInfoCalls(async () => {
      for (let i = 0; i < 8; i++) expect((await config(auth)).json.code).toBe(200);
    });
    const streamCalls = await getInfoCalls(async () => {
      for (let i = 0; i < 3; i++) expect((await w.h.send({ modelId, message: '[[interval=0]] hi' }, { authorization: auth })).isStream).toBe(true);
    });
    expect([restCalls, streamCalls]).toEqual([1, 1]);
  });

  it('shares one call among concurrent requests of a token', async () => {
    const auth = await w.ruoyi.bearer('chatter');
    const calls = await getInfoCalls(async () => {
      const answers = await Promise.all(Array.from({ length: 6 }, () => config(auth)));
      expect(answers.map((a) => a.json.code)).toEqual(Array(6).fill(200));
    });
    expect(calls).toBe(1);
  });

  it('keeps distinct tokens apart, even two sessions of one user', async () => {
    const [first, second, other] = [await w.ruoyi.bearer('chatter'), await w.ruoyi.bearer('chatter'), await w.ruoyi.bearer('chatter2')];
    const calls = await getInfoCalls(async () => {
      for (const auth of [first, second, other, first, second, other]) expect((await config(auth)).json.code).toBe(200);
    });
    expect(calls).toBe(3);
    expect((await config(other)).json.data.userId).toBe(3);
  });

  it('within the interval a logged-out token is still served from the cache (logout takes effect when it ends)', async () => {
    const token = await w.ruoyi.login('chatter');
    expect((await config(`Bearer ${token}`)).json.code).toBe(200);
    expect(await w.ruoyi.logout(token)).toMatchObject({ code: 200, msg: '退出成功' });
    expect((await config(`Bearer ${token}`)).json.code).toBe(200);
  });

  it('never caches a refusal: a token RuoYi refused is asked about again', async () => {
    const token = await w.ruoyi.login('chatter');
    await w.ruoyi.logout(token);
    const calls = await getInfoCalls(async () => {
      for (let i = 0; i < 2; i++) expect((await config(`Bearer ${token}`)).json).toMatchObject({ code: 401, success: false });
    });
    expect(calls).toBe(2);
  });
});

describe('RuoYi unreachable, slow or failing', () => {
  const refusedEverywhere = async (auth: string) => {
    const before = await dumpTables(w.store);
    expectRefusal(
      await send(w.h, w.api, { handler: 'rest', call: { method: 'GET', path: '/ai/chat/session/list', authorization: auth } }),
      500,
      AUTH_MSG.unavailable,
    );
    expectRefusal(
      await send(w.h, w.api, { handler: 'rest', call: { method: 'PUT', path: '/ai/chat/config', authorization: auth, body: { temperature: 1 } } }),
      500,
      AUTH_MSG.unavailable,
    );
    expectRefusal(await send(w.h, w.api, { handler: 'stream', body: { modelId, message: 'hi' }, authorization: auth }), 500, AUTH_MSG.unavailable);
    expect(await dumpTables(w.store)).toEqual(before);
  };

  it('down (connection refused): 认证服务暂不可用 on both functions, nothing written; the failure is not cached', async () => {
    const auth = await w.ruoyi.bearer('chatter');
    const requestsBefore = w.h.modelServer.stats.requests.length;
    await w.ruoyi.setDown(true);
    await refusedEverywhere(auth);
    await w.ruoyi.setDown(false);
    expect((await config(auth)).json.code).toBe(200);
    expect(w.h.modelServer.stats.requests.length).toBe(requestsBefore);
  });

  it(`slower than the timeout: 认证服务暂不可用, and the next call asks again`, async () => {
    const auth = await w.ruoyi.bearer('chatter');
    w.ruoyi.delayMs = 60_000;
    const calls = await getInfoCalls(() => refusedEverywhere(auth));
    expect(calls).toBe(3);
    w.ruoyi.delayMs = 0;
    expect((await config(auth)).json.code).toBe(200);
  });

  it.each([
    [
      "RuoYi's own server error (database down): code 500",
      {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: 500, msg: 'Lost connection to MySQL server', success: false }),
      },
    ],
    ["a proxy's error page", { status: 502, headers: { 'content-type': 'text/html' }, body: '<html>Bad Gateway</html>' }],
    ['a redirect (the URL points elsewhere)', { status: 302, headers: { location: 'https://login.example.com/' }, body: '' }],
    ['HTTP 200 that is not JSON', { status: 200, headers: { 'content-type': 'text/html' }, body: '<html>index</html>' }],
    [
      'code 200 without a user',
      { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 200, permissions: ['*:*:*'], roles: ['admin'] }) },
    ],
    [
      'code 200 naming another user',
      {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: 200, permissions: ['*:*:*'], roles: ['admin'], user: { userId: 1, admin: true } }),
      },
    ],
    [
      'an answer over a megabyte',
      { status: 200, headers: { 'content-type': 'application/json' }, body: `{"code":200,"permissions":[${'"x",'.repeat(300_000)}"x"]}` },
    ],
  ])('%s: 认证服务暂不可用, never a success', async (_name, answer) => {
    const auth = await w.ruoyi.bearer('chatter');
    w.ruoyi.getInfoOverride = answer;
    await refusedEverywhere(auth);
  });

  it('a RuoYi envelope refusing the token (code 401) is 401, so the page logs the user out', async () => {
    const auth = await w.ruoyi.bearer('chatter');
    w.ruoyi.getInfoOverride = {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: 401, msg: '用户token已失效，请重新登录' }),
    };
    expect((await config(auth)).json).toMatchObject({ code: 401, success: false });
  });
});
