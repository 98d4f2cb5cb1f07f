import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectRefusal, send } from '../robustness/support/corpus.ts';
import { failCaseOnUnhandledRejection } from '../robustness/support/rejections.ts';
import { dumpTables } from '../robustness/support/tables.ts';
import { setUpRuoyiWorld, type RuoyiWorld } from '../../support/ruoyi-world.ts';

/**
 * What RuoYi stops accepting stops working here once the identity cache interval
 * has passed (set short for the test; 30 s by default): logout, 30 idle minutes, a
 * disabled user, a role taken away. Waiting longer than the interval only makes the
 * outcome more certain, so the waits are not timing assertions.
 */

const CACHE_MS = 150;
const pastTheInterval = () => sleep(CACHE_MS + 50);

let w: RuoyiWorld;
let modelId: number;

failCaseOnUnhandledRejection();

beforeAll(async () => {
  w = await setUpRuoyiWorld({ RUOYI_IDENTITY_CACHE_MS: String(CACHE_MS) });
  modelId = (await w.h.addModel({ userId: '2', deptId: '103' })).modelId;
});

const works = async (auth: string) => {
  expect((await w.api({ method: 'GET', path: '/ai/chat/session/list', authorization: auth })).json.code).toBe(200);
  expect((await w.h.send({ modelId, message: '[[interval=0]] hi' }, { authorization: auth })).lines.at(-1)!.type).toBe('metrics');
};

const refused = async (auth: string, code: number) => {
  const before = await dumpTables(w.store);
  const rest = await send(w.h, w.api, { handler: 'rest', call: { method: 'GET', path: '/ai/chat/session/list', authorization: auth } });
  const stream = await send(w.h, w.api, { handler: 'stream', body: { modelId, message: 'after' }, authorization: auth });
  for (const answer of [rest, stream]) expectRefusal(answer, code, code === 403 ? '该用户无此接口权限' : '认证失败，无法访问系统资源');
  expect(await dumpTables(w.store)).toEqual(before);
};

describe('RuoYi mode with a short identity cache', () => {
  it('logout: the token is refused with 401 on both functions once the interval has passed; another session goes on', async () => {
    const [token, otherSession] = [await w.ruoyi.login('chatter'), await w.ruoyi.bearer('chatter')];
    await works(`Bearer ${token}`);
    await works(otherSession);
    expect(await w.ruoyi.logout(token)).toMatchObject({ code: 200, msg: '退出成功' });
    await pastTheInterval();
    await refused(`Bearer ${token}`, 401);
    await works(otherSession);
  });

  it("30 idle minutes in RuoYi's Redis end the token; a token in use keeps being renewed", async () => {
    const [idle, busy] = [await w.ruoyi.bearer('chatter'), await w.ruoyi.bearer('chatter2')];
    await works(idle);
    w.ruoyi.advanceClock(20 * 60_000);
    await pastTheInterval();
    await works(busy);
    w.ruoyi.advanceClock(11 * 60_000);
    await pastTheInterval();
    await refused(idle, 401);
    await works(busy);
  });

  it('a user disabled in RuoYi is refused with 401', async () => {
    const auth = await w.ruoyi.bearer('chatter2');
    await works(auth);
    w.ruoyi.users.get(3)!.status = '1';
    try {
      await pastTheInterval();
      await refused(auth, 401);
    } finally {
      w.ruoyi.users.get(3)!.status = '0';
    }
  });

  it('a role taken away in RuoYi takes its permission with it (403), on the same token', async () => {
    const auth = await w.ruoyi.bearer('chatter');
    await works(auth);
    w.ruoyi.users.get(2)!.roleIds = [15];
    try {
      await pastTheInterval();
      await refused(auth, 403);
    } finally {
      w.ruoyi.users.get(2)!.roleIds = [2];
    }
  });
});
