import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatStreamHarness } from '../chat-stream/support.ts';
import { TEST_JWT_SECRET } from '../../support/tokens.ts';
import { expectRefusal, send, setUpBothFunctions, type Api } from './support/corpus.ts';
import { AUDIENCE, ISSUER, startIssuer } from './support/jwks.ts';
import { failCaseOnUnhandledRejection } from './support/rejections.ts';
import { dumpTables, type Store } from './support/tables.ts';
import { forgeToken, tamperPayload } from './support/token-defects.ts';

/**
 * The token part of the bad-input corpus for a deployment that verifies RS256/ES256
 * tokens against an issuer's JWKS (Cognito or any OIDC issuer): issuer, audience and
 * algorithm confusion, on both functions. Each refusal is 401 and changes no table.
 */

const { issuer, jwksUrl, close } = await startIssuer();
const claims = { sub: 'oidc-user-1', perms: ['ai:chat:list'] };
const now = () => Math.floor(Date.now() / 1000);
const live = () => ({ ...claims, iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 600 });
const good = await issuer.sign(claims);

const DEFECTS: [string, string][] = [
  ['a wrong issuer', await issuer.sign(claims, { iss: 'https://evil.test' })],
  ['no issuer', await issuer.sign(claims, { iss: '' })],
  ['a wrong audience', await issuer.sign(claims, { aud: 'another-app' })],
  ['no audience', await issuer.sign(claims, { aud: '' })],
  ['expired', await issuer.sign(claims, { expiresInS: -60 })],
  ['not valid before a future time (nbf)', await issuer.sign(claims, { notBeforeS: 600 })],
  ['HS256 signed with the public key as secret (RS/HS confusion)', forgeToken({ alg: 'HS256', kid: 'rsa' }, live(), issuer.rsaPublicPem)],
  ['HS256 signed with a shared secret', forgeToken({ alg: 'HS256', typ: 'JWT' }, live(), TEST_JWT_SECRET)],
  ['alg none', forgeToken({ alg: 'none', kid: 'rsa' }, live(), null)],
  ['a key id the issuer does not publish', await issuer.sign(claims, { kid: 'retired' })],
  ["the issuer's key id, signed by another key", await issuer.sign(claims, { otherKey: true })],
  ['an ES256 token naming the RSA key', await issuer.sign(claims, { alg: 'ES256', kid: 'rsa' })],
  ['payload tampered to become the admin', tamperPayload(good, { ...live(), sub: '1', roles: ['admin'] })],
];

let h: ChatStreamHarness;
let api: Api;
let store: Store;
let modelId: number;

failCaseOnUnhandledRejection();

beforeAll(async () => {
  ({ h, api, store } = await setUpBothFunctions({ JWKS_URL: jwksUrl, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE }));
  modelId = (await h.addModel()).modelId;
});

afterAll(() => close());

describe('JWKS deployment: token defects', () => {
  it('control: RS256 and ES256 tokens from the issuer are accepted by both functions', async () => {
    for (const token of [good, await issuer.sign(claims, { alg: 'ES256' })]) {
      expect((await api({ method: 'GET', path: '/ai/chat/config', authorization: `Bearer ${token}` })).json.code).toBe(200);
    }
    const out = await send(h, api, { handler: 'stream', body: { modelId, message: '[[interval=0]] hi' }, authorization: `Bearer ${good}` });
    expect(out.capture!.lines.at(-1)!.type).toBe('metrics');
  });

  it.each(
    DEFECTS.flatMap(([name, token]) => [
      [`stream: ${name}`, 'stream', token],
      [`rest: ${name}`, 'rest', token],
    ]),
  )('%s: 401, every table unchanged', async (_name, handler, token) => {
    const authorization = `Bearer ${token}`;
    const before = await dumpTables(store);
    const answer = await send(
      h,
      api,
      handler === 'stream'
        ? { handler: 'stream', body: { modelId, message: 'hi' }, authorization }
        : { handler: 'rest', call: { method: 'PUT', path: '/ai/chat/config', authorization, body: { temperature: 1 } } },
    );
    expectRefusal(answer, 401, '认证失败，无法访问系统资源');
    expect(await dumpTables(store)).toEqual(before);
  });
});
