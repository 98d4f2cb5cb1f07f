import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { CLOCK_TOLERANCE_S, verifyHs256 } from '../../../../lambdas/core/auth/jwt.ts';

const SECRET = 'test-secret-that-is-long-enough-for-hs256';
const KEY = new TextEncoder().encode(SECRET);
/** A fixed clock, so the boundaries of exp and nbf are tested exactly. */
const NOW = 1_800_000_000;

const part = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** Signs any header and payload (even ones jose would not sign), as a forger would. */
const forge = (header: unknown, payload: unknown, secret = SECRET) => {
  const input = `${part(header)}.${part(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
};

const HS256 = { alg: 'HS256', typ: 'JWT' };
const ours = verifyHs256(SECRET);

type Verdict = { ok: true; claims: unknown } | { ok: false };

const oursSays = (token: string): Verdict => {
  try {
    return { ok: true, claims: ours(token, NOW) };
  } catch {
    return { ok: false };
  }
};

const joseSays = async (token: string): Promise<Verdict> => {
  try {
    const { payload } = await jwtVerify(token, KEY, { algorithms: ['HS256'], clockTolerance: CLOCK_TOLERANCE_S, currentDate: new Date(NOW * 1000) });
    return { ok: true, claims: payload };
  } catch {
    return { ok: false };
  }
};

const good = { user_id: '2', user_name: '若依', exp: NOW + 600, iat: NOW };

const CASES: [string, string][] = [
  ['a good token', forge(HS256, good)],
  ['a token jose signed', await new SignJWT(good).setProtectedHeader({ alg: 'HS256' }).sign(KEY)],
  ['no exp at all', forge(HS256, { user_id: '2' })],
  ['exp just inside the tolerance', forge(HS256, { ...good, exp: NOW - CLOCK_TOLERANCE_S + 1 })],
  ['exp at the tolerance', forge(HS256, { ...good, exp: NOW - CLOCK_TOLERANCE_S })],
  ['nbf at the tolerance', forge(HS256, { ...good, nbf: NOW + CLOCK_TOLERANCE_S })],
  ['nbf past the tolerance', forge(HS256, { ...good, nbf: NOW + CLOCK_TOLERANCE_S + 1 })],
  ['exp as text', forge(HS256, { ...good, exp: String(NOW + 600) })],
  ['exp null', forge(HS256, { ...good, exp: null })],
  ['nbf as text', forge(HS256, { ...good, nbf: '0' })],
  ['iat as text', forge(HS256, { ...good, iat: 'now' })],
  ['claims an array', forge(HS256, [good])],
  ['claims a string', forge(HS256, '"text"')],
  ['claims not JSON', forge(HS256, 'not json')],
  ['header not JSON', forge('not json', good)],
  ['header an array', forge([HS256], good)],
  ['no alg', forge({ typ: 'JWT' }, good)],
  ['alg none', `${part({ alg: 'none' })}.${part(good)}.`],
  ['alg in lower case', forge({ alg: 'hs256' }, good)],
  ['alg HS512', forge({ alg: 'HS512' }, good)],
  ['alg RS256 over an HMAC', forge({ alg: 'RS256' }, good)],
  ['an unknown critical header', forge({ ...HS256, crit: ['x-policy'], 'x-policy': 1 }, good)],
  ['another secret', forge(HS256, good, `${SECRET}!`)],
  ['payload swapped under the signature', `${forge(HS256, good).split('.')[0]}.${part({ ...good, user_id: '1' })}.${forge(HS256, good).split('.')[2]}`],
  ['signature cut short', forge(HS256, good).slice(0, -2)],
  ['signature empty', `${forge(HS256, good).split('.').slice(0, 2).join('.')}.`],
  ['four parts', `${forge(HS256, good)}.x`],
  ['two parts', forge(HS256, good).split('.').slice(0, 2).join('.')],
];

describe('verifyHs256: the same verdicts as jose', () => {
  it.each(CASES)('%s', async (_name, token) => {
    expect(oursSays(token)).toEqual(await joseSays(token));
  });

  it('accepts the good tokens and refuses the rest (the cases test both sides)', async () => {
    const accepted = CASES.filter(([, token]) => oursSays(token).ok).map(([name]) => name);
    expect(accepted).toEqual(['a good token', 'a token jose signed', 'no exp at all', 'exp just inside the tolerance', 'nbf at the tolerance']);
  });

  it('agrees on any mix of time claims', async () => {
    const timeClaim = fc.option(fc.oneof(fc.integer({ min: NOW - 20, max: NOW + 20 }), fc.constant('1'), fc.constant(null)), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(timeClaim, timeClaim, timeClaim, async (exp, nbf, iat) => {
        const token = forge(HS256, { user_id: '2', exp, nbf, iat });
        expect(oursSays(token)).toEqual(await joseSays(token));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a `b64` critical header, which jose would take: no extension is understood here', async () => {
    const token = forge({ ...HS256, crit: ['b64'], b64: true }, good);
    expect((await joseSays(token)).ok).toBe(true);
    expect(oursSays(token).ok).toBe(false);
  });
});
