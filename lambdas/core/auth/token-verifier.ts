import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { ServiceError } from '../errors/service-error.ts';
import { identityFromClaims, type Identity } from './identity.ts';

export type AuthSettings =
  | { mode: 'hs256'; secret: string }
  | { mode: 'jwks'; jwksUrl: string; issuer: string; audience: string };

export type TokenVerifier = (authorization: string | undefined) => Promise<Identity>;

/** Allowed skew for exp/nbf between the issuer's clock and ours. */
const CLOCK_TOLERANCE_S = 5;

/** Reads `Bearer <token>`; two headers joined by a comma, or any other scheme, are refused. */
export const bearerToken = (authorization: string | undefined): string => {
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/.exec(authorization?.trim() ?? '');
  if (!match) throw ServiceError.unauthorized();
  return match[1]!;
};

/**
 * Builds the verifier both handlers use. The algorithm list is fixed per mode, which
 * is what refuses `alg: none` and RS/HS confusion: a token is only ever checked with
 * the kind of key the deployment configured.
 */
export const createTokenVerifier = (settings: AuthSettings): TokenVerifier => {
  const verify =
    settings.mode === 'hs256'
      ? hs256(new TextEncoder().encode(settings.secret))
      : jwks(createRemoteJWKSet(new URL(settings.jwksUrl)), settings.issuer, settings.audience);
  return async (authorization) => {
    const token = bearerToken(authorization);
    let claims: Record<string, unknown>;
    try {
      claims = await verify(token);
    } catch {
      throw ServiceError.unauthorized();
    }
    return identityFromClaims(claims);
  };
};

const hs256 = (key: Uint8Array) => async (token: string) =>
  (await jwtVerify(token, key, { algorithms: ['HS256'], clockTolerance: CLOCK_TOLERANCE_S })).payload;

const jwks = (keySet: JWTVerifyGetKey, issuer: string, audience: string) => async (token: string) =>
  (
    await jwtVerify(token, keySet, {
      algorithms: ['RS256', 'ES256'],
      issuer,
      audience,
      clockTolerance: CLOCK_TOLERANCE_S,
    })
  ).payload;
