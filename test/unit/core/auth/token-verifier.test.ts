import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../../../../lambdas/core/auth/token-verifier.ts';
import { ServiceError } from '../../../../lambdas/core/errors/service-error.ts';
import { bearer, TEST_JWT_SECRET } from '../../../support/tokens.ts';

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

const expect401 = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ServiceError);
  expect((err as ServiceError).code).toBe(401);
};

describe('HS256 verifier', () => {
  const verify = createTokenVerifier({ mode: 'hs256', secret: TEST_JWT_SECRET });

  it('accepts a good token and maps the claims', async () => {
    const identity = await verify(
      await bearer({ user_id: 42, user_name: 'li', dept_id: 7, dept_name: '研发部门', perms: ['ai:chat:list'], roles: ['common'], data_scope: 'dept' }),
    );
    expect(identity).toEqual({
      userId: '42',
      userName: 'li',
      deptId: '7',
      deptName: '研发部门',
      deptAncestors: [],
      perms: ['ai:chat:list'],
      roles: ['common'],
      dataScopes: ['3'],
      isAdmin: false,
    });
  });

  it("maps data_scope all/dept/self onto RuoYi's scopes 1/3/5; absent is all, anything else none", async () => {
    const scopes = async (data_scope?: string) => (await verify(await bearer({ user_id: 42, data_scope }))).dataScopes;
    expect([await scopes('all'), await scopes('dept'), await scopes('self'), await scopes(), await scopes('constructor')]).toEqual([
      ['1'],
      ['3'],
      ['5'],
      ['1'],
      [],
    ]);
  });

  it('takes sub when user_id is absent, and recognises admins', async () => {
    expect((await verify(await bearer({ sub: 'abc-123' }))).userId).toBe('abc-123');
    expect((await verify(await bearer({ user_id: 1 }))).isAdmin).toBe(true);
    expect((await verify(await bearer({ user_id: 5, roles: ['admin'] }))).isAdmin).toBe(true);
    expect((await verify(await bearer({ user_id: 5, perms: ['*:*:*'] }))).isAdmin).toBe(true);
  });

  it('refuses alg none', async () => {
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ user_id: 1, exp: now() + 60 })}.`;
    await expect401(verify(`Bearer ${token}`));
  });

  it('refuses expired, not-yet-valid, wrongly signed and tampered tokens', async () => {
    await expect401(verify(await bearer({ user_id: 2 }, { expiresInS: -60 })));
    await expect401(verify(await bearer({ user_id: 2 }, { notBeforeS: 600 })));
    await expect401(verify(await bearer({ user_id: 2 }, { secret: 'some-other-secret-of-enough-length' })));
    const [h, , s] = (await bearer({ user_id: 2 })).slice(7).split('.');
    await expect401(verify(`Bearer ${h}.${b64url({ user_id: 1, exp: now() + 60 })}.${s}`));
  });

  it('refuses RS256 tokens (algorithm confusion)', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT({ user_id: 1 }).setProtectedHeader({ alg: 'RS256' }).setExpirationTime('1h').sign(privateKey);
    await expect401(verify(`Bearer ${token}`));
  });

  it('refuses missing, malformed, doubled and other-scheme headers, and tokens without a user', async () => {
    const good = await bearer({ user_id: 2 });
    for (const header of [undefined, '', 'Bearer', 'Bearer abc', `Basic ${good.slice(7)}`, `${good},${good}`, `bearer ${good.slice(7)}`]) {
      await expect401(verify(header));
    }
    await expect401(verify(await bearer({ user_name: 'nobody' })));
  });
});

describe('JWKS verifier', () => {
  let server: Server;
  let jwksUrl: string;
  let rsa: CryptoKey;
  let ec: CryptoKey;

  beforeAll(async () => {
    const rsaPair = await generateKeyPair('RS256');
    const ecPair = await generateKeyPair('ES256');
    rsa = rsaPair.privateKey;
    ec = ecPair.privateKey;
    const keys: JWK[] = [
      { ...(await exportJWK(rsaPair.publicKey)), kid: 'rsa', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ecPair.publicKey)), kid: 'ec', alg: 'ES256', use: 'sig' },
    ];
    server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    jwksUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const sign = (key: CryptoKey, alg: string, kid: string, claims: Record<string, unknown>, iss = 'https://issuer.test', aud = 'ai-chat') =>
    new SignJWT(claims).setProtectedHeader({ alg, kid }).setIssuer(iss).setAudience(aud).setExpirationTime('1h').sign(key);

  it('accepts RS256 and ES256 from the issuer for the audience', async () => {
    const verify = createTokenVerifier({ mode: 'jwks', jwksUrl, issuer: 'https://issuer.test', audience: 'ai-chat' });
    expect((await verify(`Bearer ${await sign(rsa, 'RS256', 'rsa', { sub: 'u-1' })}`)).userId).toBe('u-1');
    expect((await verify(`Bearer ${await sign(ec, 'ES256', 'ec', { sub: 'u-2' })}`)).userId).toBe('u-2');
  });

  it('refuses a wrong issuer, a wrong audience and an HS256 token', async () => {
    const verify = createTokenVerifier({ mode: 'jwks', jwksUrl, issuer: 'https://issuer.test', audience: 'ai-chat' });
    await expect401(verify(`Bearer ${await sign(rsa, 'RS256', 'rsa', { sub: 'u' }, 'https://evil.test')}`));
    await expect401(verify(`Bearer ${await sign(rsa, 'RS256', 'rsa', { sub: 'u' }, 'https://issuer.test', 'other')}`));
    await expect401(verify(await bearer({ sub: 'u', iss: 'https://issuer.test', aud: 'ai-chat' })));
  });
});
