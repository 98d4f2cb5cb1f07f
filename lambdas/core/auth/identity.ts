import { ServiceError } from '../errors/service-error.ts';

export type DataScope = 'all' | 'dept' | 'self';

/** Who is calling, as read from a verified token. */
export interface Identity {
  /** `user_id` (RuoYi) or `sub` (OIDC), kept as text so both kinds of issuer fit. */
  userId: string;
  userName?: string;
  deptId?: string;
  perms: string[];
  roles: string[];
  dataScope: DataScope;
  isAdmin: boolean;
}

const ALL_PERMS = '*:*:*';

const asStringList = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

const asText = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;

/** Maps verified claims to an identity; a token without a usable user id is refused. */
export const identityFromClaims = (claims: Record<string, unknown>): Identity => {
  const userId = asText(claims.user_id) ?? asText(claims.sub);
  if (!userId || userId.length > 128) throw ServiceError.unauthorized();
  const perms = asStringList(claims.perms);
  const roles = asStringList(claims.roles);
  const scope = claims.data_scope;
  const dataScope: DataScope = scope === 'dept' || scope === 'self' ? scope : 'all';
  return {
    userId,
    userName: asText(claims.user_name),
    deptId: asText(claims.dept_id),
    perms,
    roles,
    dataScope,
    isAdmin: userId === '1' || roles.includes('admin') || perms.includes(ALL_PERMS),
  };
};

/** RuoYi's rule: admins hold every permission. */
export const hasPermission = (identity: Identity, perm: string): boolean =>
  identity.isAdmin || identity.perms.includes(perm);

export const requirePermission = (identity: Identity, perm: string): void => {
  if (!hasPermission(identity, perm)) throw ServiceError.forbidden();
};

export const CHAT_PERMISSION = 'ai:chat:list';
