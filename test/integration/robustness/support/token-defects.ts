import { createHmac, generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { bearer, TEST_JWT_SECRET, type TokenClaims } from '../../../support/tokens.ts';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowS = () => Math.floor(Date.now() / 1000);

/**
 * A compact JWT signed with HMAC over whatever header it is given: the way to forge
 * the tokens a library would refuse to make (`alg: none`, unknown `crit`, a public key
 * used as an HMAC secret).
 */
export const forgeToken = (header: Record<string, unknown>, claims: Record<string, unknown>, secret: string | Buffer | null): string => {
  const signingInput = `${b64url(header)}.${b64url(claims)}`;
  if (secret === null) return `${signingInput}.`;
  const hash = header.alg === 'HS512' ? 'sha512' : 'sha256';
  return `${signingInput}.${createHmac(hash, secret).update(signingInput).digest('base64url')}`;
};

/** Swaps the payload of a signed token for another, keeping its header and signature. */
export const tamperPayload = (token: string, claims: Record<string, unknown>): string => {
  const [header, , signature] = token.split('.');
  return `${header}.${b64url(claims)}.${signature}`;
};

export type AuthDefect = [name: string, authorization: string | undefined];

/**
 * Authorization headers an HS256 deployment must refuse with 401, for a caller who
 * otherwise holds `claims`: missing or malformed headers, other schemes, two headers
 * (API Gateway joins repeats with a comma), and every token defect.
 */
export const hs256AuthDefects = async (claims: TokenClaims): Promise<AuthDefect[]> => {
  const good = await bearer(claims);
  const token = good.slice('Bearer '.length);
  const live = { ...claims, iat: nowS(), exp: nowS() + 600 };
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rs256 = await new SignJWT(live).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
  return [
    ['no Authorization header', undefined],
    ['an empty Authorization header', ''],
    ['the scheme alone', 'Bearer'],
    ['a token that is no JWT', 'Bearer not-a-jwt'],
    ['the Basic scheme', `Basic ${token}`],
    ['a lowercase scheme', `bearer ${token}`],
    ['another scheme name', `Token ${token}`],
    ['two spaces after the scheme', `Bearer  ${token}`],
    ['two Authorization headers (joined by a comma)', `${good},${good}`],
    ['two Authorization headers, the second another user', `${good}, ${await bearer({ ...claims, user_id: 1 })}`],
    ['alg none, unsigned', `Bearer ${forgeToken({ alg: 'none', typ: 'JWT' }, live, null)}`],
    ['alg none with a signature', `Bearer ${forgeToken({ alg: 'none', typ: 'JWT' }, live, null)}c2ln`],
    ['HS256 header, signature stripped', `Bearer ${forgeToken({ alg: 'HS256', typ: 'JWT' }, live, null)}`],
    ['RS256 token (RS/HS confusion)', `Bearer ${rs256}`],
    ['HS512 with the right secret (algorithm not allowed)', `Bearer ${forgeToken({ alg: 'HS512', typ: 'JWT' }, live, TEST_JWT_SECRET)}`],
    ['an unknown critical header', `Bearer ${forgeToken({ alg: 'HS256', typ: 'JWT', crit: ['x-policy'], 'x-policy': 1 }, live, TEST_JWT_SECRET)}`],
    ['expired', await bearer(claims, { expiresInS: -60 })],
    ['not valid before a future time (nbf)', await bearer(claims, { notBeforeS: 600 })],
    ['signed with another secret', await bearer(claims, { secret: 'another-secret-that-is-long-enough-for-hs256' })],
    ['payload tampered to become the admin', `Bearer ${tamperPayload(token, { ...live, user_id: 1 })}`],
    ['payload tampered to add permissions', `Bearer ${tamperPayload(token, { ...live, perms: ['*:*:*'] })}`],
    ['no user id claim', await bearer({ ...claims, user_id: undefined, sub: undefined })],
    ['a user id too long', await bearer({ ...claims, user_id: '9'.repeat(129) })],
  ];
};
