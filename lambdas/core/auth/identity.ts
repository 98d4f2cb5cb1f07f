import { ServiceError } from '../errors/service-error.ts';

/**
 * RuoYi's data scopes (`sys_role.data_scope`): 1 all, 2 custom departments, 3 own
 * department, 4 own department and below, 5 own data only.
 */
export const DATA_SCOPES = ['1', '2', '3', '4', '5'] as const;
export type DataScope = (typeof DATA_SCOPES)[number];

export const isDataScope = (value: unknown): value is DataScope => DATA_SCOPES.includes(value as DataScope);

/** Who is calling, as read from a verified token (claims mode) or RuoYi's `/getInfo` (RuoYi mode). */
export interface Identity {
  /** `user_id` (RuoYi) or `sub` (OIDC), kept as text so both kinds of issuer fit. */
  userId: string;
  userName?: string;
  deptId?: string;
  /** The department's name as RuoYi shows it (the audit trail's `deptName`, the usage ledger's). */
  deptName?: string;
  /** The ancestors of the caller's department (RuoYi's `sys_dept.ancestors`), for scope 4. */
  deptAncestors: string[];
  perms: string[];
  roles: string[];
  /** One entry per role; the caller sees the union of what they grant. */
  dataScopes: DataScope[];
  isAdmin: boolean;
}

export const ALL_PERMS = '*:*:*';

const asStringList = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

const asText = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;

/** Claims mode's `data_scope` names, as the RuoYi scopes they stand for. */
const CLAIM_SCOPES = new Map<unknown, DataScope>([
  ['all', '1'],
  ['dept', '3'],
  ['self', '5'],
]);

/** No `data_scope` claim is all data (the dev tokens); a value not understood grants none. */
const claimedScopes = (claim: unknown): DataScope[] => {
  if (claim === undefined) return ['1'];
  const scope = CLAIM_SCOPES.get(claim);
  return scope ? [scope] : [];
};

/** Maps verified claims to an identity; a token without a usable user id is refused. */
export const identityFromClaims = (claims: Record<string, unknown>): Identity => {
  const userId = asText(claims.user_id) ?? asText(claims.sub);
  if (!userId || userId.length > 128) throw ServiceError.unauthorized();
  const perms = asStringList(claims.perms);
  const roles = asStringList(claims.roles);
  return {
    userId,
    userName: asText(claims.user_name),
    deptId: asText(claims.dept_id),
    deptName: asText(claims.dept_name),
    deptAncestors: [],
    perms,
    roles,
    dataScopes: claimedScopes(claims.data_scope),
    isAdmin: userId === '1' || roles.includes('admin') || perms.includes(ALL_PERMS),
  };
};

/** RuoYi's rule: admins hold every permission. */
export const hasPermission = (identity: Identity, perm: string): boolean => identity.isAdmin || identity.perms.includes(perm);

export const requirePermission = (identity: Identity, perm: string): void => {
  if (!hasPermission(identity, perm)) throw ServiceError.forbidden();
};

export const CHAT_PERMISSION = 'ai:chat:list';
