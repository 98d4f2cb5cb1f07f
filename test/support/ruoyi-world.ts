import { afterAll } from 'vitest';
import { setUpBothFunctions, type BothFunctions } from '../integration/robustness/support/corpus.ts';
import { startRuoyiStandIn, type RuoyiDept, type RuoyiRole, type RuoyiStandIn, type RuoyiUser } from './ruoyi-stand-in.ts';

export const CHAT_PERMS = ['ai:chat:list'];
export const MODEL_PERMS = ['ai:model:list', 'ai:model:query', 'ai:model:add', 'ai:model:edit', 'ai:model:remove'];

/** RuoYi's sample tree: 100 the company, 101 and 102 below it, 103 below 101. */
export const DEPTS: RuoyiDept[] = [
  { deptId: 101, parentId: 100, ancestors: '0,100', deptName: '深圳总公司' },
  { deptId: 102, parentId: 100, ancestors: '0,100', deptName: '长沙分公司' },
  { deptId: 103, parentId: 101, ancestors: '0,100,101', deptName: '研发部门' },
];

/** `common` is how RuoYi's sample role grants the chat: menu perms only, no claims in any token. */
export const ROLES: RuoyiRole[] = [
  { roleId: 2, roleKey: 'common', dataScope: '3', perms: ['system:user:list', ...CHAT_PERMS] },
  { roleId: 10, roleKey: 'model-all', dataScope: '1', perms: [...CHAT_PERMS, ...MODEL_PERMS] },
  { roleId: 11, roleKey: 'model-custom', dataScope: '2', perms: [...CHAT_PERMS, ...MODEL_PERMS] },
  { roleId: 12, roleKey: 'model-dept', dataScope: '3', perms: [...CHAT_PERMS, ...MODEL_PERMS] },
  { roleId: 13, roleKey: 'model-dept-tree', dataScope: '4', perms: [...CHAT_PERMS, ...MODEL_PERMS] },
  { roleId: 14, roleKey: 'model-self', dataScope: '5', perms: [...CHAT_PERMS, ...MODEL_PERMS] },
  { roleId: 15, roleKey: 'viewer', dataScope: '1', perms: ['system:user:list'] },
];

const user = (userId: number, userName: string, deptId: number, roleIds: number[]): RuoyiUser => ({ userId, userName, deptId, roleIds });

export const USERS: RuoyiUser[] = [
  user(2, 'chatter', 103, [2]),
  user(3, 'chatter2', 103, [2]),
  user(4, 'no-chat', 103, [15]),
  user(20, 'maker100', 100, [14]),
  user(21, 'maker101', 101, [14]),
  user(22, 'maker102', 102, [14]),
  user(23, 'maker103', 103, [14]),
  user(31, 'scope1', 101, [10]),
  user(32, 'scope2', 101, [11]),
  user(33, 'scope3', 101, [12]),
  user(34, 'scope4', 101, [13]),
  user(35, 'scope5', 101, [14]),
  user(36, 'scope3+5', 102, [12, 14]),
  user(37, 'scope2+5', 101, [11, 14]),
];

export type RuoyiWorld = BothFunctions & { ruoyi: RuoyiStandIn };

/**
 * Both real handlers in RuoYi mode against the stand-in (mounted under `/prod-api`,
 * as behind RuoYi's proxy), on fresh tables; the stand-in closes after the file.
 */
export const setUpRuoyiWorld = async (env: Record<string, string> = {}, secret?: string): Promise<RuoyiWorld> => {
  const ruoyi = await startRuoyiStandIn({ secret, basePath: '/prod-api', depts: DEPTS, roles: ROLES, users: USERS });
  afterAll(() => ruoyi.close());
  const both = await setUpBothFunctions({ JWT_SECRET: ruoyi.secret, RUOYI_API_URL: ruoyi.url, ...env });
  return { ...both, ruoyi };
};
