import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setUpBothFunctions, type Api } from '../robustness/support/corpus.ts';
import type { ChatStreamHarness } from '../chat-stream/support.ts';
import { startRuoyiStandIn, type RuoyiRole, type RuoyiStandIn } from '../../support/ruoyi-stand-in.ts';
import { periodOf } from '../../../lambdas/core/usage/periods.ts';

/**
 * The usage API in RuoYi mode against the stand-in: summaries by user, department, model
 * and day, the ledger and its CSV, each with RuoYi's data scope as /getInfo gives it
 * (ruoyi-facts.md §3), and a user's own use against their quotas.
 */

const CHAT = ['ai:chat:list'];
const USAGE = [...CHAT, 'ai:usage:list', 'ai:usage:export'];
const ROLES: RuoyiRole[] = [
  // Scope 1 so its users see the shared model; it carries no usage permission.
  { roleId: 2, roleKey: 'common', dataScope: '1', perms: CHAT },
  { roleId: 20, roleKey: 'usage-all', dataScope: '1', perms: USAGE },
  { roleId: 21, roleKey: 'usage-tree', dataScope: '4', perms: USAGE },
  { roleId: 22, roleKey: 'usage-dept', dataScope: '3', perms: USAGE },
  { roleId: 23, roleKey: 'usage-self', dataScope: '5', perms: USAGE },
];
const user = (userId: number, userName: string, deptId: number, roleIds: number[]) => ({ userId, userName, deptId, roleIds });

let ruoyi: RuoyiStandIn;
let h: ChatStreamHarness;
let api: Api;
let modelId: number;
/** self103 (scope 5) sees only models it made. */
let ownModelId: number;
const as = async (name: string) => ruoyi.bearer(name);
const today = () => periodOf('day', Date.now());

beforeAll(async () => {
  ruoyi = await startRuoyiStandIn({
    basePath: '/prod-api',
    depts: [
      { deptId: 101, parentId: 100, ancestors: '0,100', deptName: '深圳总公司' },
      { deptId: 102, parentId: 100, ancestors: '0,100', deptName: '长沙分公司' },
      { deptId: 103, parentId: 101, ancestors: '0,100,101', deptName: '研发部门' },
    ],
    roles: ROLES,
    users: [
      user(21, 'a101', 101, [2]),
      user(22, 'b102', 102, [2]),
      user(23, 'c103', 103, [2]),
      user(31, 'all', 101, [20]),
      user(32, 'tree101', 101, [21]),
      user(33, 'dept101', 101, [22]),
      user(34, 'self103', 103, [23]),
      user(35, 'nobody', 101, [2]),
    ],
  });
  ({ h, api } = await setUpBothFunctions({ JWT_SECRET: ruoyi.secret, RUOYI_API_URL: ruoyi.url, RATE_LIMIT_SENDS_PER_MINUTE: '1000', QUOTA_CACHE_MS: '1' }));
  const prices = [{ currency: 'CNY', inputMicros: 1_000_000, outputMicros: 2_000_000, effectiveFrom: 0 }];
  modelId = (await h.addModel({ modelName: '计费模型', prices })).modelId;
  ownModelId = (await h.addModel({ modelName: '自己的模型', prices, userId: '34' })).modelId;
  for (const [name, runs] of [
    ['a101', 2],
    ['b102', 1],
    ['c103', 3],
    ['self103', 1],
  ] as const) {
    for (let i = 0; i < runs; i++) {
      const model = name === 'self103' ? ownModelId : modelId;
      const out = await h.send({ modelId: model, message: `[[interval=0]] ${name} ${i}` }, { authorization: await as(name) });
      expect(out.ofType('metrics'), out.raw).toHaveLength(1);
    }
  }
});
afterAll(() => ruoyi.close());

const summary = async (who: string, query: Record<string, string>) =>
  (await api({ method: 'GET', path: '/ai/usage/summary', authorization: await as(who), query })).json;
const rowsOf = async (who: string, groupBy: string) =>
  Object.fromEntries(((await summary(who, { groupBy })).data.rows as { key: string; runs: number }[]).map((r) => [r.key, r.runs]));

describe('summaries', () => {
  it('scope 1: every user, every department with its tree, every model, and the days', async () => {
    expect(await rowsOf('all', 'user')).toEqual({ 21: 2, 22: 1, 23: 3, 34: 1 });
    expect(await rowsOf('all', 'dept')).toEqual({ 100: 7, 101: 6, 102: 1, 103: 4 });
    expect(await rowsOf('all', 'model')).toEqual({ [modelId]: 6, [ownModelId]: 1 });
    const days = (await summary('all', { groupBy: 'day' })).data;
    expect(days.rows.at(-1)).toMatchObject({ key: today(), runs: 7 });
    expect(days.total.runs).toBe(7);
    expect(days.rows.length).toBe(Number(today().slice(8, 10)));
    expect(days.total.costMicros.CNY).toBe(days.total.inputTokens + 2 * days.total.outputTokens);
  });

  it('names users, their department and the model as last seen', async () => {
    const users = (await summary('all', { groupBy: 'user' })).data.rows;
    expect(users.find((r: { key: string }) => r.key === '23').name).toBe('c103');
    const depts = (await summary('all', { groupBy: 'dept' })).data.rows;
    expect(depts.find((r: { key: string }) => r.key === '103').name).toBe('研发部门');
    expect((await summary('all', { groupBy: 'model' })).data.rows.map((r: { name: string }) => r.name)).toEqual(['计费模型', '自己的模型']);
  });

  it('scope 4: its department and below, users in them, no model or company rows', async () => {
    expect(await rowsOf('tree101', 'user')).toEqual({ 21: 2, 23: 3, 34: 1 });
    expect(await rowsOf('tree101', 'dept')).toEqual({ 101: 6, 103: 4 });
    expect(await rowsOf('tree101', 'model')).toEqual({});
    expect((await summary('tree101', { groupBy: 'day' })).data.total.runs).toBe(6);
    expect((await summary('tree101', { groupBy: 'day', deptId: '102' })).data.total.runs).toBe(0);
    expect((await summary('tree101', { groupBy: 'day', modelId: String(modelId) })).msg).toBe('没有权限访问该用量数据');
  });

  it('scope 3: users of its own department only; scope 5: itself', async () => {
    expect(await rowsOf('dept101', 'user')).toEqual({ 21: 2 });
    expect(await rowsOf('dept101', 'dept')).toEqual({});
    expect(await rowsOf('self103', 'user')).toEqual({ 34: 1 });
    expect((await summary('self103', { groupBy: 'day' })).data.total.runs).toBe(1);
    expect((await summary('self103', { groupBy: 'day', userId: '23' })).data.total.runs).toBe(0);
  });

  it('refuses bad ranges and filters that do not fit the grouping (601), and callers without ai:usage:list (403)', async () => {
    expect((await summary('all', { groupBy: 'user', userId: '21' })).code).toBe(601);
    expect((await summary('all', { groupBy: 'day', userId: '21', modelId: '1' })).code).toBe(601);
    expect((await summary('all', { groupBy: 'week' })).code).toBe(601);
    expect((await summary('all', { groupBy: 'day', beginTime: '2026-01-01', endTime: '2027-12-31' })).msg).toBe('时间范围不能超过366天');
    expect((await summary('a101', { groupBy: 'user' })).code).toBe(403);
  });
});

describe('the ledger', () => {
  const list = async (who: string, query: Record<string, string> = {}) =>
    (await api({ method: 'GET', path: '/ai/usage/list', authorization: await as(who), query })).json;

  it('newest first, paged, in the caller’s scope, filtered by a department’s tree', async () => {
    const page = await list('all', { pageSize: '5' });
    expect([page.total, page.rows.length, page.hasNext]).toEqual([7, 5, true]);
    const starts = page.rows.map((r: { startTime: string }) => r.startTime);
    expect([...starts].sort().reverse()).toEqual(starts);
    expect((await list('tree101')).total).toBe(6);
    expect((await list('all', { deptId: '101' })).total).toBe(6);
    expect((await list('all', { deptId: '103', userId: '23' })).total).toBe(3);
    expect((await list('self103')).rows.map((r: { userName: string }) => r.userName)).toEqual(['self103']);
    expect((await list('dept101')).total).toBe(2);
  });

  it('exports the same rows as CSV, posted as RuoYi’s download posts (a form)', async () => {
    const out = await api({
      method: 'POST',
      path: '/ai/usage/export',
      authorization: await as('tree101'),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ deptId: '103', beginTime: `${today()} 00:00:00` }).toString(),
    });
    expect(out.headers?.['content-type']).toBe('text/csv; charset=utf-8');
    expect(String(out.headers?.['content-disposition'])).toMatch(/^attachment; filename="ai_usage_\d{14}\.csv"/);
    const lines = out.body.trim().split('\r\n');
    expect(lines).toHaveLength(1 + 4);
    expect(lines.slice(1).every((l) => l.includes(',CNY,'))).toBe(true);
    const refused = await api({ method: 'POST', path: '/ai/usage/export', authorization: await as('all'), body: { outcome: 'nope' } });
    expect(refused.json.code).toBe(601);
  });
});

describe('a user’s own use', () => {
  it('today and this month, and each quota that applies with what it counts now', async () => {
    const admin = await ruoyi.bearer('all');
    expect((await api({ method: 'POST', path: '/ai/quota', authorization: admin, body: {} })).json.code).toBe(403);
    const adminToken = await ruoyi.bearer('admin');
    for (const quota of [
      { subjectType: 'role', subjectId: 'common', period: 'day', metric: 'tokens', limit: 100_000, enforcement: 'soft' },
      { subjectType: 'dept', subjectId: '101', period: 'month', metric: 'cost', currency: 'CNY', limit: 1, enforcement: 'hard' },
      { subjectType: 'user', subjectId: '22', period: 'day', metric: 'tokens', limit: 5 },
    ]) {
      expect((await api({ method: 'POST', path: '/ai/quota', authorization: adminToken, body: quota })).json.code).toBe(200);
    }
    const mine = (await api({ method: 'GET', path: '/ai/usage/my', authorization: await as('c103') })).json.data;
    expect(mine.today).toMatchObject({ period: today(), runs: 3 });
    expect(mine.month.runs).toBe(3);
    const byType = Object.fromEntries(mine.quotas.map((q: { subjectType: string }) => [q.subjectType, q]));
    expect(Object.keys(byType).sort()).toEqual(['dept', 'role']);
    expect(byType.role).toMatchObject({ used: mine.today.totalTokens, reached: false, remaining: 100_000 - mine.today.totalTokens });
    expect(byType.dept.used).toBeGreaterThan(1);
    expect(byType.dept).toMatchObject({ reached: true, remaining: 0 });
    expect(byType.dept.resetsAt).toMatch(/^\d{4}-\d\d-01T00:00:00$/);
  });
});
