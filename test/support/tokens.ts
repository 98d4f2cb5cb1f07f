import { SignJWT } from 'jose';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256';

export interface TokenClaims {
  user_id?: number | string;
  sub?: string;
  perms?: string[];
  roles?: string[];
  data_scope?: string;
  dept_id?: number | string;
  user_name?: string;
  [key: string]: unknown;
}

/** A signed HS256 token; `expiresIn` negative makes an expired one. */
export const signToken = async (claims: TokenClaims, options: { secret?: string; expiresInS?: number; notBeforeS?: number } = {}): Promise<string> => {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt(now);
  jwt.setExpirationTime(now + (options.expiresInS ?? 3600));
  if (options.notBeforeS !== undefined) jwt.setNotBefore(now + options.notBeforeS);
  return jwt.sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
};

export const bearer = async (claims: TokenClaims, options?: Parameters<typeof signToken>[1]) => `Bearer ${await signToken(claims, options)}`;

export const ADMIN = { user_id: 1, user_name: 'admin' } as const;
export const CHAT_USER = (id: number, extra: TokenClaims = {}): TokenClaims => ({
  user_id: id,
  user_name: `user${id}`,
  perms: ['ai:chat:list'],
  ...extra,
});
