import type { DataScope, Identity } from './identity.ts';

/** A row as RuoYi's data scope filters it: who it belongs to, and that user's department with its ancestors. */
export interface ScopedRow {
  userId: string;
  deptId?: string;
  /** The department's ancestors (RuoYi's `sys_dept.ancestors` of the row's department): scope 4's tree. */
  deptAncestors?: string[];
}

const inOwnDept = (identity: Identity, row: ScopedRow) => identity.deptId !== undefined && row.deptId === identity.deptId;

/**
 * What each RuoYi data scope grants, as `common/aspect/data_scope.py` filters by a row's
 * `dept_id` and `user_id`. Scope 4 takes the department tree from the ancestors stored
 * with the row. Scope 2 grants nothing: it needs RuoYi's role-department table, which
 * `/getInfo` does not carry.
 */
const GRANTS: Record<DataScope, (identity: Identity, row: ScopedRow) => boolean> = {
  '1': () => true,
  '2': () => false,
  '3': inOwnDept,
  '4': (identity, row) => inOwnDept(identity, row) || (identity.deptId !== undefined && (row.deptAncestors ?? []).includes(identity.deptId)),
  '5': (identity, row) => row.userId === identity.userId,
};

/**
 * A row is in the caller's scope when the caller is an admin or any of the caller's roles
 * grants it (the union, as RuoYi ORs the roles' conditions). A caller without roles sees nothing.
 */
export const inDataScope = (identity: Identity, row: ScopedRow): boolean =>
  identity.isAdmin || identity.dataScopes.some((scope) => GRANTS[scope](identity, row));

/** Admins and scope 1 see every row. */
export const seesAllData = (identity: Identity): boolean => identity.isAdmin || identity.dataScopes.includes('1');
