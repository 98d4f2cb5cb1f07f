import type { Identity } from '../auth/identity.ts';
import { ServiceError } from '../errors/service-error.ts';
import type { StoredModel } from './schema.ts';

/**
 * RuoYi's data scope for models: admins and `all` see every model, `dept` the models
 * created in the caller's department, `self` the caller's own. (RuoYi's `dept` also
 * covers child departments; tokens here carry no department tree, so it is exact.)
 */
export const modelInScope = (identity: Identity, model: Pick<StoredModel, 'userId' | 'deptId'>): boolean => {
  if (identity.isAdmin || identity.dataScope === 'all') return true;
  if (identity.dataScope === 'dept') return identity.deptId !== undefined && model.deptId === identity.deptId;
  return model.userId === identity.userId;
};

export const requireModelInScope = (identity: Identity, model: Pick<StoredModel, 'userId' | 'deptId'>): void => {
  if (!modelInScope(identity, model)) throw ServiceError.service('没有权限访问AI模型数据');
};
