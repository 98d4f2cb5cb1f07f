import { beforeAll, describe, expect, it } from 'vitest';
import { failCaseOnUnhandledRejection } from '../robustness/support/rejections.ts';
import { setUpRuoyiWorld, type RuoyiWorld } from '../../support/ruoyi-world.ts';

/**
 * The audit trail in RuoYi mode: who did it, as RuoYi's `/getInfo` describes them (name,
 * department name and tree), and who may read it, by a role's permission and data scope.
 * Tree: 100 ⊃ {101 ⊃ 103, 102}.
 */

let w: RuoyiWorld;

failCaseOnUnhandledRejection();

const AUDITOR_ROLE = 40;

/** A user holding only `ai:audit:list`, with the given data scope, in department 101. */
const auditor = (userId: number, dataScope: '1' | '3' | '4' | '5') => {
  w.ruoyi.roles.set(AUDITOR_ROLE + userId, { roleId: AUDITOR_ROLE + userId, roleKey: `auditor-${dataScope}`, dataScope, perms: ['ai:audit:list'] });
  w.ruoyi.users.set(userId, { userId, userName: `auditor${userId}`, deptId: 101, roleIds: [AUDITOR_ROLE + userId] });
  return w.ruoyi.bearer(`auditor${userId}`);
};

const operators = async (authorization: string) => {
  const answer = (await w.api({ method: 'GET', path: '/ai/audit/list', authorization, query: { pageSize: '100' } })).json;
  expect(answer.code).toBe(200);
  return new Set((answer.rows as { operName: string }[]).map((r) => r.operName));
};

beforeAll(async () => {
  w = await setUpRuoyiWorld();
  for (const userName of ['maker100', 'maker101', 'maker102', 'maker103']) {
    const body = { modelCode: `by-${userName}`, provider: 'OpenAI', modelSort: 1, baseUrl: 'https://api.example.com/v1', apiKey: 'sk-ruoyi-audit-0123456789' };
    expect((await w.api({ method: 'POST', path: '/ai/model', authorization: await w.ruoyi.bearer(userName), body })).json.code).toBe(200);
  }
});

describe('the audit trail with RuoYi', () => {
  it("records the operator's name and department as /getInfo gives them", async () => {
    const rows = (await w.api({ method: 'GET', path: '/ai/audit/list', authorization: await w.ruoyi.bearer('admin'), query: { operName: 'maker103' } })).json
      .rows;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ operName: 'maker103', userId: 23, deptName: '研发部门', title: 'AI模型管理', businessType: 1, status: 0 });
    expect(JSON.stringify(rows)).not.toContain('sk-ruoyi-audit');
  });

  it("shows an auditor the operations of operators in the auditor's data scope", async () => {
    expect(await operators(await auditor(51, '1'))).toEqual(new Set(['maker100', 'maker101', 'maker102', 'maker103']));
    expect(await operators(await auditor(52, '3'))).toEqual(new Set(['maker101']));
    expect(await operators(await auditor(53, '4'))).toEqual(new Set(['maker101', 'maker103']));
    expect(await operators(await auditor(54, '5'))).toEqual(new Set());
  });

  it('refuses a RuoYi user without ai:audit:list', async () => {
    expect((await w.api({ method: 'GET', path: '/ai/audit/list', authorization: await w.ruoyi.bearer('maker101') })).json).toMatchObject({ code: 403 });
  });
});
