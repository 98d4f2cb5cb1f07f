import { setUpRuoyiWorld } from '../../support/ruoyi-world.ts';
import { crossUserMatrix } from './support/cross-user-matrix.ts';

/**
 * The cross-user matrix (support/cross-user-matrix.ts) in RuoYi mode: RuoYi's tokens
 * carry no permissions or scope; the stand-in's /getInfo gives A and B a role with
 * data scope 5 (own models), in departments 102 and 103, and B's department mate a
 * role with data scope 3.
 */

crossUserMatrix(async () => {
  const { ruoyi, ...both } = await setUpRuoyiWorld();
  ruoyi.users.set(91, { userId: 91, userName: 'user-a', deptId: 102, roleIds: [14] });
  ruoyi.users.set(92, { userId: 92, userName: 'user-b', deptId: 103, roleIds: [14] });
  ruoyi.users.set(93, { userId: 93, userName: 'user-b-dept', deptId: 103, roleIds: [12] });
  return {
    both,
    A: '91',
    B: '92',
    tokenA: await ruoyi.bearer('user-a'),
    tokenB: await ruoyi.bearer('user-b'),
    tokenBDept: await ruoyi.bearer('user-b-dept'),
  };
});
