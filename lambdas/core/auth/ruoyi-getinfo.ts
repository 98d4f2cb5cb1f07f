import * as z from 'zod/mini';
import { ALL_PERMS, isDataScope, type Identity } from './identity.ts';

/** RuoYi's ids are integers; accepted as digits too, kept as text like every user id here. */
const ruoyiId = z.pipe(
  z.union([z.number().check(z.int(), z.nonnegative()), z.string().check(z.regex(/^\d{1,19}$/))]),
  z.transform((id: number | string) => String(id)),
);

/** A list whose entries may be null, empty or of another type (RuoYi's menu `perms` are nullable): strings kept. */
const textList = z.pipe(
  z.nullish(z.array(z.unknown())),
  z.transform((list) => (list ?? []).filter((v): v is string => typeof v === 'string' && v !== '')),
);

/**
 * The part of RuoYi's `/getInfo` answer (`CurrentUserModel`, login_controller.py)
 * identity needs; every other field is dropped. `user.role` is singular and may hold
 * nulls; `dept` is null for a user without an enabled department.
 */
export const getInfoSchema = z.object({
  code: z.literal(200),
  permissions: textList,
  roles: textList,
  user: z.object({
    userId: ruoyiId,
    userName: z.nullish(z.string()),
    deptId: z.nullish(ruoyiId),
    admin: z.nullish(z.boolean()),
    dept: z.nullish(z.object({ ancestors: z.nullish(z.string()), deptName: z.nullish(z.string()) })),
    role: z.nullish(z.array(z.nullable(z.object({ roleKey: z.nullish(z.string()), dataScope: z.nullish(z.string()) })))),
  }),
});

export type GetInfo = z.output<typeof getInfoSchema>;

/** RuoYi's `ancestors`, `0,100,101`, as ids. */
const ancestorsOf = (ancestors: string | null | undefined): string[] =>
  (ancestors ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter((a) => /^\d+$/.test(a));

/** The caller as RuoYi describes them: its permissions, roles, department and the roles' data scopes. */
export const identityFromGetInfo = (info: GetInfo): Identity => {
  const { user } = info;
  const roles = (user.role ?? []).filter((r) => r !== null);
  return {
    userId: user.userId,
    userName: user.userName ?? undefined,
    deptId: user.deptId ?? undefined,
    deptName: user.dept?.deptName ?? undefined,
    deptAncestors: ancestorsOf(user.dept?.ancestors),
    perms: info.permissions,
    roles: info.roles,
    dataScopes: roles.map((r) => r.dataScope).filter(isDataScope),
    isAdmin: user.admin === true || info.permissions.includes(ALL_PERMS) || info.roles.includes('admin'),
  };
};
