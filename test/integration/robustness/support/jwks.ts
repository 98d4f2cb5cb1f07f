import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWTPayload } from 'jose';

export const ISSUER = 'https://issuer.test';
export const AUDIENCE = 'ai-chat';

export interface Issuer {
  /** Signs with the issuer's RSA (`kid: rsa`) or EC (`kid: ec`) key, or with `key`/`kid` given. */
  sign(
    claims: JWTPayload,
    options?: { alg?: 'RS256' | 'ES256'; kid?: string; iss?: string; aud?: string; expiresInS?: number; notBeforeS?: number; otherKey?: boolean },
  ): Promise<string>;
  /** The RSA public key as PEM: what an attacker would use as an HMAC secret. */
  rsaPublicPem: string;
}

/** An OIDC-style issuer for tests: an RSA and an EC signing key, their JWKS served on loopback. */
export const startIssuer = async () => {
  const [rsa, ec, stranger] = await Promise.all([generateKeyPair('RS256'), generateKeyPair('ES256'), generateKeyPair('RS256')]);
  const keys = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec', alg: 'ES256', use: 'sig' },
  ];
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys })));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const issuer: Issuer = {
    rsaPublicPem: await exportSPKI(rsa.publicKey),
    sign(claims, options = {}) {
      const alg = options.alg ?? 'RS256';
      const key = options.otherKey ? stranger.privateKey : alg === 'RS256' ? rsa.privateKey : ec.privateKey;
      const now = Math.floor(Date.now() / 1000);
      const jwt = new SignJWT(claims)
        .setProtectedHeader({ alg, kid: options.kid ?? (alg === 'RS256' ? 'rsa' : 'ec') })
        .setIssuedAt(now)
        .setExpirationTime(now + (options.expiresInS ?? 3600));
      if (options.iss !== '') jwt.setIssuer(options.iss ?? ISSUER);
      if (options.aud !== '') jwt.setAudience(options.aud ?? AUDIENCE);
      if (options.notBeforeS !== undefined) jwt.setNotBefore(now + options.notBeforeS);
      return jwt.sign(key);
    },
  };
  return {
    issuer,
    jwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};
