import { bearer, CHAT_USER } from '../../support/tokens.ts';
import { setUpBothFunctions } from './support/corpus.ts';
import { crossUserMatrix } from './support/cross-user-matrix.ts';

/** The cross-user matrix (support/cross-user-matrix.ts) in claims mode: the tokens carry permissions and scope. */

const MODEL_PERMS = ['ai:chat:list', 'ai:model:list', 'ai:model:query', 'ai:model:add', 'ai:model:edit', 'ai:model:remove'];

crossUserMatrix(async () => ({
  both: await setUpBothFunctions(),
  A: '91',
  B: '92',
  tokenA: await bearer(CHAT_USER(91, { perms: MODEL_PERMS, data_scope: 'self', dept_id: 10 })),
  tokenB: await bearer(CHAT_USER(92, { perms: MODEL_PERMS, data_scope: 'self', dept_id: 20 })),
  tokenBDept: await bearer(CHAT_USER(92, { perms: MODEL_PERMS, data_scope: 'dept', dept_id: 20 })),
}));
