import type { DataScope, Identity } from './identity.ts';

/** Whose a record is, as RuoYi's data scope filters it: its owner, the owner's department and that department's ancestors. */
export interface ScopedRecord {
  userId: string;
  deptId?: string;
  /** The owner's department ancestors when the record was made: RuoYi's scope 4 (department and below). */
  deptAncestors?: string[];
}

const inOwnDept = (identity: Identity, record: ScopedRecord) => identity.deptId !== undefined && record.deptId === identity.deptId;

/**
 * What each RuoYi data scope grants, as `common/aspect/data_scope.py` filters by the
 * record's `dept_id` and `user_id`. Scope 4 takes the department tree from the
 * ancestors stored with the record. Scope 2 grants nothing: it needs RuoYi's
 * role-department table, which `/getInfo` does not carry.
 */
const GRANTS: Record<DataScope, (identity: Identity, record: ScopedRecord) => boolean> = {
  '1': () => true,
  '2': () => false,
  '3': inOwnDept,
  '4': (identity, record) => inOwnDept(identity, record) || (identity.deptId !== undefined && (record.deptAncestors ?? []).includes(identity.deptId)),
  '5': (identity, record) => record.userId === identity.userId,
};

/**
 * A record is in the caller's scope when the caller is an admin or any of the caller's
 * roles grants it (the union, as RuoYi ORs the roles' conditions). A caller without
 * roles sees nothing.
 */
export const inDataScope = (identity: Identity, record: ScopedRecord): boolean =>
  identity.isAdmin || identity.dataScopes.some((scope) => GRANTS[scope](identity, record));

/** Admins and scope 1 see every record. */
export const seesAllData = (identity: Identity): boolean => identity.isAdmin || identity.dataScopes.includes('1');
