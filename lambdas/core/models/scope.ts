import type { Identity } from '../auth/identity.ts';
import { inDataScope } from '../auth/data-scope.ts';
import { ServiceError } from '../errors/service-error.ts';
import type { StoredModel } from './schema.ts';
import { REFUSAL_MSG } from '../wire/messages.ts';

type ScopedModel = Pick<StoredModel, 'userId' | 'deptId' | 'deptAncestors'>;

/** A model is in scope as its creator's row is: a model remembers its creator's department ancestors. */
export const modelInScope = (identity: Identity, model: ScopedModel): boolean => inDataScope(identity, model);

export const requireModelInScope = (identity: Identity, model: ScopedModel): void => {
  if (!modelInScope(identity, model)) throw ServiceError.service(REFUSAL_MSG.modelOutOfScope);
};
