import { ServiceError } from '../errors/service-error.ts';
import { identityFromClaims, type Identity } from './identity.ts';
import { bearerToken, CLOCK_TOLERANCE_S, verifyHs256 } from './jwt.ts';
import { createRuoyiVerifier, type RuoyiAuthSettings } from './ruoyi-verifier.ts';

export type AuthSettings = { mode: 'hs256'; secret: string } | { mode: 'jwks'; jwksUrl: string; issuer: string; audience: string } | RuoyiAuthSettings;

export type TokenVerifier = (authorization: string | undefined) => Promise<Identity>;

/**
 * Builds the verifier both handlers use. RuoYi mode asks RuoYi who the caller is;
 * the claims modes read the token's own claims. The algorithm list is fixed per mode,
 * which is what refuses `alg: none` and RS/HS confusion: a token is only ever checked
 * with the kind of key the deployment configured.
 */
export const createTokenVerifier = (settings: AuthSettings): TokenVerifier => {
  if (settings.mode === 'ruoyi') return createRuoyiVerifier(settings);
  const verify = settings.mode === 'hs256' ? verifyHs256(settings.secret) : jwks(settings.jwksUrl, settings.issuer, settings.audience);
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

/** jose is loaded by the JWKS mode, at its first token: the other modes never pay for it. */
const jwks = (jwksUrl: string, issuer: string, audience: string) => {
  let verifier: Promise<(token: string) => Promise<Record<string, unknown>>> | undefined;
  return async (token: string) => {
    verifier ??= import('jose').then(({ createRemoteJWKSet, jwtVerify }) => {
      const keySet = createRemoteJWKSet(new URL(jwksUrl));
      return async (jwt: string) =>
        (await jwtVerify(jwt, keySet, { algorithms: ['RS256', 'ES256'], issuer, audience, clockTolerance: CLOCK_TOLERANCE_S })).payload;
    });
    return (await verifier)(token);
  };
};
