import { beforeAll, describe, expect, it } from 'vitest';
import { setUpBothFunctions, type Api } from '../robustness/support/corpus.ts';
import type { ChatStreamHarness } from '../chat-stream/support.ts';
import { ADMIN, bearer, CHAT_USER, type TokenClaims } from '../../support/tokens.ts';
import { counterDifferences, readUsageState } from './support/audit.ts';
import { periodOf } from '../../../lambdas/core/usage/periods.ts';

/**
 * Quotas through the real handlers: a hard one refuses before any provider contact with a
 * message naming it and its reset, and holds near its limit within one reservation however
 * many sends arrive at once; a soft one notices once; a send refused for any reason gives
 * its reservation back.
 */

const RESERVE = 300;
let h: ChatStreamHarness;
let api: Api;
let admin: string;

/** QUOTA_CACHE_MS 1: a copy is used at most 30 ms; the tests wait that long after changing quotas. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 60));

beforeAll(async () => {
  ({ h, api } = await setUpBothFunctions({ QUOTA_CACHE_MS: '1', QUOTA_RESERVE_TOKENS: String(RESERVE), RATE_LIMIT_SENDS_PER_MINUTE: '100000' }));
  admin = await bearer(ADMIN);
});

let nextUser = 600;
const chatter = async (extra: TokenClaims = {}) => {
  const id = nextUser++;
  return { id, auth: await bearer(CHAT_USER(id, extra)) };
};

const addQuota = async (quota: Record<string, unknown>) => {
  const out = await api({ method: 'POST', path: '/ai/quota', authorization: admin, body: { period: 'day', metric: 'tokens', enforcement: 'hard', ...quota } });
  expect(out.json.code, out.json.msg).toBe(200);
  await settle();
};

const send = (modelId: number, auth: string, message = '[[interval=0]] hi') => h.send({ modelId, message }, { authorization: auth });
const today = () => periodOf('day', Date.now());
const counter = async (pk: string, sk: string) => (await readUsageState(h.runtime)).counters.get(`${pk} ${sk}`);

describe('a hard quota', () => {
  it('refuses once reached, before any provider contact, naming the limit and when it resets', async () => {
    const model = await h.addModel();
    const { id, auth } = await chatter({ user_name: 'limited' });
    await addQuota({ subjectType: 'user', subjectId: String(id), limit: 1 });
    expect((await send(model.modelId, auth)).isStream).toBe(true);
    const requests = h.modelServer.stats.requests.length;
    const refused = await send(model.modelId, auth);
    expect(refused.isStream).toBe(false);
    expect(refused.envelope).toMatchObject({ code: 500, success: false });
    expect(refused.envelope.msg).toBe(`已达到用户 limited 的每日Token限额（1 Token），将于 ${periodEnd(today())} 重置`);
    expect(h.modelServer.stats.requests.length).toBe(requests);
    expect(counterDifferences(await readUsageState(h.runtime))).toEqual([]);
  });

  it('near its limit, twenty sends at once overshoot it by less than one reservation', async () => {
    const model = await h.addModel();
    const { id, auth } = await chatter();
    const limit = 1_000;
    await addQuota({ subjectType: 'user', subjectId: String(id), limit });
    let admitted = 0;
    // Runs of about 120 tokens, within the reservation: the bound is then less than one reservation.
    for (let round = 0; round < 30; round++) {
      const answers = await Promise.all(Array.from({ length: 20 }, () => send(model.modelId, auth, '[[interval=0 chunks=100]] hi')));
      admitted += answers.filter((a) => a.isStream).length;
      if (answers.every((a) => !a.isStream)) break;
    }
    const used = Number((await counter(`CNT#D#${today()}#U`, String(id)))?.totalTokens);
    expect(admitted).toBeGreaterThan(1);
    expect(used).toBeGreaterThanOrEqual(limit);
    expect(used).toBeLessThan(limit + RESERVE);
    const state = await readUsageState(h.runtime);
    expect(Math.max(...state.entries.filter((e) => e.userId === String(id)).map((e) => e.totalTokens))).toBeLessThanOrEqual(RESERVE);
    expect(counterDifferences(state)).toEqual([]);
  });

  it('of money: counts the cost in its currency, refuses once reached', async () => {
    const created = await api({
      method: 'POST',
      path: '/ai/model',
      authorization: admin,
      body: {
        modelCode: 'priced',
        provider: 'OpenAI',
        modelSort: 1,
        baseUrl: h.modelServer.url,
        prices: [{ currency: 'USD', inputPerMillion: 1000, outputPerMillion: 1000 }],
      },
    });
    expect(created.json.code).toBe(200);
    const modelId = (await api({ method: 'GET', path: '/ai/model/list', authorization: admin, query: { modelCode: 'priced' } })).json.rows[0].modelId;
    const { id, auth } = await chatter();
    await addQuota({ subjectType: 'user', subjectId: String(id), metric: 'cost', currency: 'USD', limit: 100_000 });
    let refused: Awaited<ReturnType<typeof send>> | undefined;
    for (let i = 0; i < 20 && !refused; i++) {
      const out = await send(modelId, auth);
      if (!out.isStream) refused = out;
    }
    expect(refused?.envelope.msg).toMatch(/^已达到用户 user\d+ 的每日费用限额（0\.10 USD），将于 .* 重置$/);
    expect(Number((await counter(`CNT#D#${today()}#U`, String(id)))?.['cost#USD'])).toBeGreaterThanOrEqual(100_000);
  });

  it('of a role, a department (with everything below it) and a model', async () => {
    const model = await h.addModel({ modelName: '贵的模型' });
    const roleUser = await chatter({ roles: ['intern'] });
    const deptUser = await chatter({ dept_id: 777, dept_name: '小组' });
    await addQuota({ subjectType: 'role', subjectId: 'intern', limit: 1 });
    await addQuota({ subjectType: 'dept', subjectId: '777', limit: 1 });
    for (const u of [roleUser, deptUser]) expect((await send(model.modelId, u.auth)).isStream).toBe(true);
    expect((await send(model.modelId, roleUser.auth)).envelope.msg).toMatch(/^已达到角色 intern 的每日Token限额/);
    expect((await send(model.modelId, deptUser.auth)).envelope.msg).toMatch(/^已达到部门 小组 的每日Token限额/);
    await addQuota({ subjectType: 'model', subjectId: String(model.modelId), period: 'month', limit: 1 });
    const other = await chatter();
    expect((await send(model.modelId, other.auth)).envelope.msg).toMatch(/^已达到模型 贵的模型 的每月Token限额（1 Token），将于 \d{4}-\d\d-01 00:00:00 重置$/);
  });

  it('disabled, or of another user, holds nobody back', async () => {
    const model = await h.addModel();
    const { id, auth } = await chatter();
    await addQuota({ subjectType: 'user', subjectId: String(id), limit: 1, status: '1' });
    await addQuota({ subjectType: 'user', subjectId: 'someone-else', limit: 1 });
    for (let i = 0; i < 3; i++) expect((await send(model.modelId, auth)).isStream).toBe(true);
  });

  it('a send refused by another check gives its reservation back', async () => {
    const model = await h.addModel();
    const owner = await chatter();
    const { id, auth } = await chatter();
    await addQuota({ subjectType: 'user', subjectId: String(id), limit: 100_000 });
    await send(model.modelId, auth);
    const theirs = (await send(model.modelId, owner.auth)).lines[0]!.session_id;
    const refused = await h.send({ modelId: model.modelId, sessionId: theirs, message: 'not mine' }, { authorization: auth });
    expect(refused.envelope.msg).toBe('无权访问该会话');
    const item = await counter(`CNT#D#${today()}#U`, String(id));
    expect(item?.heldTokens).toBe(item?.totalTokens);
  });
});

describe('a soft quota', () => {
  it('lets the run go on and notices once per user and period, as its own stream line', async () => {
    const model = await h.addModel();
    const { id, auth } = await chatter({ user_name: 'warned' });
    await addQuota({ subjectType: 'user', subjectId: String(id), limit: 1, enforcement: 'soft' });
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await send(model.modelId, auth));
    expect(runs.every((r) => r.ofType('metrics').length === 1)).toBe(true);
    expect(runs.map((r) => r.ofType('notice').length)).toEqual([0, 1, 0]);
    expect(runs[1]!.ofType('notice')[0]!.notice).toBe(`已超过用户 warned 的每日Token提醒额度（1 Token），本周期内不再提醒，将于 ${periodEnd(today())} 重置`);
  });
});

describe('the quota API', () => {
  it('needs ai:quota:* (admins always), refuses bad quotas with 601 and keeps nothing of them', async () => {
    const plain = await chatter();
    expect((await api({ method: 'GET', path: '/ai/quota/list', authorization: plain.auth })).json.code).toBe(403);
    const editor = await bearer(CHAT_USER(699, { perms: ['ai:quota:list', 'ai:quota:add'] }));
    const before = (await api({ method: 'GET', path: '/ai/quota/list', authorization: editor, query: { pageSize: '500' } })).json.total;
    const base = { subjectType: 'user', subjectId: '1', period: 'day', metric: 'tokens', limit: 10 };
    for (const [bad, msg] of [
      [{ subjectType: 'team' }, /^subjectType: 只能是/],
      [{ metric: 'cost' }, /^currency: 按费用限额时必须填写币种/],
      [{ currency: 'CNY' }, /^currency: 按Token限额时不填币种/],
      [{ subjectType: 'dept', subjectId: 'abc' }, /^subjectId: 部门ID必须是数字/],
      [{ subjectType: 'model', subjectId: '0' }, /^subjectId: 模型ID必须是正整数/],
      [{ limit: 0 }, /^limit: 必须是正整数/],
      [{ limit: 1.5 }, /^limit: 必须是正整数/],
      [{ enforcement: 'maybe' }, /^enforcement: 只能是/],
    ] as const) {
      const out = await api({ method: 'POST', path: '/ai/quota', authorization: editor, body: { ...base, ...bad } });
      expect(out.json.code, JSON.stringify(bad)).toBe(601);
      expect(out.json.msg).toMatch(msg);
    }
    expect((await api({ method: 'GET', path: '/ai/quota/list', authorization: editor, query: { pageSize: '500' } })).json.total).toBe(before);
    expect((await api({ method: 'PUT', path: '/ai/quota', authorization: editor, body: { ...base, quotaId: 1 } })).json.code).toBe(403);
  });

  it('edits keep who made it, delete by ids, and an unknown one is 限额不存在', async () => {
    await addQuota({ subjectType: 'user', subjectId: 'crud', limit: 5 });
    const [quota] = (await api({ method: 'GET', path: '/ai/quota/list', authorization: admin, query: { subjectId: 'crud' } })).json.rows;
    expect(quota).toMatchObject({ subjectType: 'user', limit: 5, createBy: 'admin', updateBy: null });
    await api({ method: 'PUT', path: '/ai/quota', authorization: admin, body: { ...quota, limit: 6 } });
    const edited = (await api({ method: 'GET', path: `/ai/quota/${quota.quotaId}`, authorization: admin })).json.data;
    expect(edited).toMatchObject({ limit: 6, createBy: 'admin', createTime: quota.createTime, updateBy: 'admin' });
    expect((await api({ method: 'DELETE', path: `/ai/quota/${quota.quotaId},${quota.quotaId}`, authorization: admin })).json.code).toBe(200);
    expect((await api({ method: 'GET', path: `/ai/quota/${quota.quotaId}`, authorization: admin })).json.data).toEqual({});
    expect((await api({ method: 'PUT', path: '/ai/quota', authorization: admin, body: { ...quota, limit: 7 } })).json.msg).toBe('限额不存在');
    expect((await api({ method: 'DELETE', path: '/ai/quota/,', authorization: admin })).json.msg).toBe('传入限额id为空');
  });
});

/** The next day's midnight as the messages write it. */
const periodEnd = (day: string) => {
  const next = new Date(`${day}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return `${next.toISOString().slice(0, 10)} 00:00:00`;
};
