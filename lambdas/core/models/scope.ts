import { inDataScope } from '../auth/data-scope.ts';
import type { Identity } from '../auth/identity.ts';
import { ServiceError } from '../errors/service-error.ts';
import type { StoredModel } from './schema.ts';
import { REFUSAL_MSG } from '../wire/messages.ts';

type ScopedModel = Pick<StoredModel, 'userId' | 'deptId' | 'deptAncestors'>;

/** A model belongs to its creator and the creator's department (auth/data-scope.ts). */
export const modelInScope = (identity: Identity, model: ScopedModel): boolean => inDataScope(identity, model);

export const requireModelInScope = (identity: Identity, model: ScopedModel): void => {
  if (!modelInScope(identity, model)) throw ServiceError.service(REFUSAL_MSG.modelOutOfScope);
};
