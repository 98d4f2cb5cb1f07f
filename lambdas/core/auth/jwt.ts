import { jwtVerify } from 'jose';
import { ServiceError } from '../errors/service-error.ts';

/** Allowed skew for exp/nbf between the issuer's clock and ours. */
export const CLOCK_TOLERANCE_S = 5;

/** Reads `Bearer <token>`; two headers joined by a comma, or any other scheme, are refused. */
export const bearerToken = (authorization: string | undefined): string => {
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/.exec(authorization?.trim() ?? '');
  if (!match) throw ServiceError.unauthorized();
  return match[1]!;
};

/** An HS256 check of signature, `exp` and `nbf`; only HS256, so `alg: none` and RS/HS confusion fail. */
export const verifyHs256 = (secret: string) => {
  const key = new TextEncoder().encode(secret);
  return async (token: string) => (await jwtVerify(token, key, { algorithms: ['HS256'], clockTolerance: CLOCK_TOLERANCE_S })).payload;
};
