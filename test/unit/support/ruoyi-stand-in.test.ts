import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRuoyiStandIn, type RuoyiStandIn } from '../../support/ruoyi-stand-in.ts';
import { USERS, ROLES, DEPTS } from '../../support/ruoyi-world.ts';

/** The stand-in itself answers as RuoYi's source does, so tests built on it test against RuoYi's behaviour. */

let ruoyi: RuoyiStandIn;
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

beforeAll(async () => {
  ruoyi = await startRuoyiStandIn({ basePath: '/prod-api', users: USERS, roles: ROLES, depts: DEPTS });
});
afterAll(() => ruoyi.close());

const get = async (path: string, authorization?: string) => {
  const res = await fetch(`${ruoyi.url}${path}`, { headers: authorization ? { authorization } : {} });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, type: res.headers.get('content-type'), body, json: () => JSON.parse(body.toString()) as Record<string, any> };
};

describe('RuoYi stand-in', () => {
  it("/getInfo: RuoYi's CurrentUserModel for a live token, 401 envelopes (HTTP 200) otherwise", async () => {
    const info = (await get('/getInfo', await ruoyi.bearer('scope3+5'))).json();
    expect(info).toMatchObject({
      code: 200,
      roles: ['model-dept', 'model-self'],
      user: { userId: 36, deptId: 102, admin: false, dept: { ancestors: '0,100' } },
    });
    expect(info.permissions.slice(0, 2)).toEqual([null, '']);
    expect(info.user.role.map((r: { dataScope: string }) => r.dataScope)).toEqual(['3', '5']);
    expect((await get('/getInfo', await ruoyi.bearer('admin'))).json()).toMatchObject({ permissions: ['*:*:*'], user: { admin: true } });
    const missing = await get('/getInfo');
    expect([missing.status, missing.json()]).toEqual([200, expect.objectContaining({ code: 401, msg: '用户未登录，请先完成登录' })]);
  });

  it('/logout deletes the token from Redis; 30 idle minutes expire it', async () => {
    const token = await ruoyi.login('chatter');
    expect(await ruoyi.logout(token)).toMatchObject({ code: 200, msg: '退出成功' });
    expect((await get('/getInfo', `Bearer ${token}`)).json()).toMatchObject({ code: 401, msg: '用户token已失效，请重新登录' });
    const idle = await ruoyi.bearer('chatter');
    ruoyi.advanceClock(31 * 60_000);
    expect((await get('/getInfo', idle)).json()).toMatchObject({ code: 401 });
  });

  it('/profile serves public uploads without a token, typed by extension; private files only to owner or admin', async () => {
    const pub = ruoyi.upload('chatter', { name: 'cat.png', content: PNG });
    expect(pub.fileName).toMatch(/^\/profile\/upload\/\d{4}\/\d{2}\/\d{2}\/cat_\d{14}A\d{3}\.png$/);
    expect(await get(pub.fileName)).toMatchObject({ status: 200, type: 'image/png', body: PNG });
    expect((await get('/profile/upload/nope.png')).status).toBe(404);

    const own = ruoyi.upload('chatter', { name: 'secret.png', content: PNG, access: 'private' });
    expect(own.fileName).toMatch(/^\/common\/files\/[0-9a-f-]{36}\/download\/secret_\d{14}A\d{3}\.png$/);
    expect(await get(own.fileName, await ruoyi.bearer('chatter'))).toMatchObject({ status: 200, type: 'application/octet-stream', body: PNG });
    expect((await get(own.fileName, await ruoyi.bearer('admin'))).status).toBe(200);
    expect((await get(own.fileName, await ruoyi.bearer('chatter2'))).json()).toMatchObject({ code: 500, msg: '文件不存在或无权访问' });
    expect((await get(own.fileName)).json()).toMatchObject({ code: 401 });
    expect((await get('/common/files/not-a-uuid/download/x.png', await ruoyi.bearer('chatter'))).status).toBe(422);
  });

  it('goes down (connection refused) and comes back on the same URL', async () => {
    await ruoyi.setDown(true);
    await expect(fetch(`${ruoyi.url}/getInfo`)).rejects.toThrow();
    await ruoyi.setDown(false);
    expect((await get('/getInfo')).status).toBe(200);
  });
});
