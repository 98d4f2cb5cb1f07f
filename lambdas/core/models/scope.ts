import type { DataScope, Identity } from '../auth/identity.ts';
import { ServiceError } from '../errors/service-error.ts';
import type { StoredModel } from './schema.ts';
import { REFUSAL_MSG } from '../wire/messages.ts';

type ScopedModel = Pick<StoredModel, 'userId' | 'deptId' | 'deptAncestors'>;

const inOwnDept = (identity: Identity, model: ScopedModel) => identity.deptId !== undefined && model.deptId === identity.deptId;

/**
 * What each RuoYi data scope grants, as `common/aspect/data_scope.py` filters by the
 * model's `dept_id` and `user_id`. Scope 4 takes the department tree from the
 * ancestors stored with the model at create time. Scope 2 grants nothing: it needs
 * RuoYi's role-department table, which `/getInfo` does not carry.
 */
const GRANTS: Record<DataScope, (identity: Identity, model: ScopedModel) => boolean> = {
  '1': () => true,
  '2': () => false,
  '3': inOwnDept,
  '4': (identity, model) => inOwnDept(identity, model) || (identity.deptId !== undefined && (model.deptAncestors ?? []).includes(identity.deptId)),
  '5': (identity, model) => model.userId === identity.userId,
};

/**
 * A model is in the caller's scope when the caller is an admin or any of the
 * caller's roles grants it (the union, as RuoYi ORs the roles' conditions). A caller
 * without roles sees nothing.
 */
export const modelInScope = (identity: Identity, model: ScopedModel): boolean =>
  identity.isAdmin || identity.dataScopes.some((scope) => GRANTS[scope](identity, model));

export const requireModelInScope = (identity: Identity, model: ScopedModel): void => {
  if (!modelInScope(identity, model)) throw ServiceError.service(REFUSAL_MSG.modelOutOfScope);
};
