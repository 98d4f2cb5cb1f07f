import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dispatch, type ApiRequest, type Route } from '../../../lambdas/api/router.ts';
import type { Identity } from '../../../lambdas/core/auth/identity.ts';
import type { Runtime } from '../../../lambdas/core/runtime.ts';

const ADMIN: Identity = { userId: '1', perms: [], roles: ['admin'], dataScopes: ['1'], deptAncestors: [], isAdmin: true };
const runtime = { verifyToken: async () => ADMIN } as unknown as Runtime;

/** Routes that echo what they matched: their own path pattern and the params they got. */
const echo = (method: Route['method'], path: string): Route => ({
  method,
  path,
  summary: `echo ${path}`,
  handle: async ({ params }) => ({ code: 200, msg: path, data: params }) as never,
});

const ROUTES: Route[] = [
  echo('GET', '/ai/model/list'),
  echo('GET', '/ai/model/{modelId}'),
  echo('DELETE', '/ai/model/{ids}'),
  echo('GET', '/ai/chat/session/list'),
  echo('GET', '/ai/chat/session/{sessionId}'),
  echo('DELETE', '/ai/chat/session/{sessionId}'),
];

const request = (method: ApiRequest['method'], path: string): ApiRequest => ({ method, path, headers: {}, query: {}, body: undefined }) as ApiRequest;
const call = (method: ApiRequest['method'], path: string) => dispatch(ROUTES, request(method, path), runtime, () => {});

/** Any non-empty segment value, including slashes, percent signs and non-ASCII, which travel encoded. */
const segment = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s !== 'list' && !/[\uD800-\uDFFF]/.test(s));

describe('router path matching', () => {
  it('gives a parameter back exactly as encoded, with or without trailing slashes', async () => {
    await fc.assert(
      fc.asyncProperty(segment, fc.nat(2), async (value, slashes) => {
        const out = await call('GET', `/ai/chat/session/${encodeURIComponent(value)}${'/'.repeat(slashes)}`);
        expect(out.envelope).toMatchObject({ msg: '/ai/chat/session/{sessionId}', data: { sessionId: value } });
      }),
    );
  });

  it('prefers the literal route to a parameter that happens to spell it', async () => {
    expect((await call('GET', '/ai/model/list')).envelope).toMatchObject({ msg: '/ai/model/list' });
    expect((await call('GET', '/ai/chat/session/list')).envelope).toMatchObject({ msg: '/ai/chat/session/list' });
  });

  it('answers 404 for a path with a segment more or less, and for a method no route has', async () => {
    await fc.assert(
      fc.asyncProperty(segment, segment, async (a, b) => {
        const extra = await call('GET', `/ai/chat/session/${encodeURIComponent(a)}/${encodeURIComponent(b)}`);
        expect(extra.status).toBe(404);
        expect((await call('GET', '/ai/chat/session')).status).toBe(404);
        expect((await call('PUT', `/ai/chat/session/${encodeURIComponent(a)}`)).status).toBe(404);
      }),
    );
  });

  it('never matches a malformed percent-encoding as a parameter', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('%', '%E4%BD', '%zz', 'a%2'), async (bad) => {
        expect((await call('GET', `/ai/model/${bad}`)).status).toBe(404);
      }),
    );
  });
});
