import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import type * as z from 'zod/mini';
import { routes } from '../../../lambdas/api/routes/index.ts';
import { createOpenApiRoute, OPENAPI_PATH } from '../../../local/openapi-route.ts';
import { createLocalServer } from '../../../local/server.ts';
import { answerSchema, buildOpenApiDocument, failureSchema, ROUTE_ANSWERS, routeKey, STREAM_PATH } from '../../../openapi/document.ts';
import { streamLineSchema } from '../../../lambdas/core/wire/stream-lines.ts';
import { OPENAPI_FILE, serializeDocument } from '../../../openapi/write.ts';
import type { ChatStreamHarness } from '../chat-stream/support.ts';
import { setUpBothFunctions, type Api } from '../robustness/support/corpus.ts';
import { ADMIN, bearer, CHAT_USER } from '../../support/tokens.ts';

/**
 * The OpenAPI document against what the service does: the committed openapi.json is
 * what the code generates, every route of the router's table is in it as it is
 * registered (and nothing else but the stream), and what the real handlers answer
 * matches the documented schemas, every stream line included.
 */

type Document = ReturnType<typeof buildOpenApiDocument>;
type Operation = { summary: string; 'x-permission': string | null; requestBody?: unknown; parameters?: { name: string; in: string }[] };

const document = buildOpenApiDocument() as Document;
const operation = (method: string, path: string) => (document.paths[path]?.[method.toLowerCase()] ?? undefined) as Operation | undefined;

describe('openapi.json', () => {
  it('is what the routes and schemas generate now (run `npm run openapi` after changing them)', () => {
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(serializeDocument(document));
  });

  it.each(routes.map((r) => [routeKey(r), r] as const))('describes %s as the router registers it', (_key, route) => {
    const op = operation(route.method, route.path);
    expect(op).toBeDefined();
    expect(op!.summary).toBe(route.summary);
    expect(op!['x-permission']).toBe(route.permission ?? null);
    expect(op!.requestBody !== undefined).toBe(route.body !== undefined);
    const inPath = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    expect((op!.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name)).toEqual(inPath);
    const queryKeys = route.query ? Object.keys((route.query as unknown as z.ZodMiniObject).def.shape) : [];
    expect((op!.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name)).toEqual(queryKeys);
  });

  it('has no operation without a route, except the chat stream', () => {
    const documented = Object.entries(document.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual([...routes.map(routeKey), `POST ${STREAM_PATH}`].sort());
    expect(Object.keys(ROUTE_ANSWERS).sort()).toEqual(routes.map(routeKey).sort());
  });

  it('refuses to build for a route it has no answer for', () => {
    const extra = { ...routes[0]!, path: '/ai/chat/extra' };
    expect(() => buildOpenApiDocument([...routes, extra])).toThrow('no answer schema for GET /ai/chat/extra');
  });
});

describe('what the handlers answer matches the document', () => {
  let h: ChatStreamHarness;
  let api: Api;
  let admin: string;
  let user: string;
  const USER = 341;
  const seen = new Set<string>();

  const expectAnswer = async (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    routePath: string,
    extra: { body?: unknown; query?: Record<string, string>; authorization?: string } = {},
  ) => {
    const out = await api({ method, path, authorization: extra.authorization ?? admin, body: extra.body, query: extra.query });
    const answer = ROUTE_ANSWERS[`${method} ${routePath}`]!;
    seen.add(`${method} ${routePath}`);
    const parsed = answerSchema(answer).safeParse(out.json);
    expect(parsed.error?.issues ?? [], `${method} ${path}: ${JSON.stringify(out.json).slice(0, 300)}`).toEqual([]);
    return out.json;
  };

  /** A route that answers a file: its media type, and the file. */
  const expectFile = async (method: 'POST', path: string, body: unknown) => {
    const out = await api({ method, path, authorization: admin, body });
    const answer = ROUTE_ANSWERS[`${method} ${path}`]!;
    expect('file' in answer && String(out.headers?.['content-type']).startsWith(answer.file), out.body.slice(0, 300)).toBe(true);
    seen.add(`${method} ${path}`);
    return out.body;
  };

  beforeAll(async () => {
    // The soft quota made below must reach the stream's first send: its instance read the quotas at INIT (warm-up), so its copy may only be 30 ms old.
    ({ h, api } = await setUpBothFunctions({ QUOTA_CACHE_MS: '1' }));
    admin = await bearer(ADMIN);
    user = await bearer(CHAT_USER(USER));
  });

  it('every REST route, the stream lines, and a refusal', async () => {
    await expectAnswer('POST', '/ai/model', '/ai/model', {
      body: {
        modelCode: 'doc',
        provider: 'OpenAI',
        modelSort: 1,
        baseUrl: h.modelServer.url,
        apiKey: 'sk-doc',
        supportReasoning: 'Y',
        prices: [{ currency: 'CNY', inputPerMillion: 2, outputPerMillion: 8, cachedPerMillion: 0.5, effectiveFrom: '2026-01-01 00:00:00' }],
      },
    });
    const page = await expectAnswer('GET', '/ai/model/list', '/ai/model/list', { query: { modelCode: 'doc' } });
    const model = page.rows[0];
    // The stored base URL is the loopback model server, which the stack allows by name here.
    await expectAnswer('PUT', '/ai/model', '/ai/model', { body: { ...model, remark: 'documented' } });
    const tested = await expectAnswer('POST', '/ai/model/test', '/ai/model/test', { body: { modelId: model.modelId } });
    expect(tested.data.passed).toBe(true);
    await expectAnswer('GET', '/ai/model/all', '/ai/model/all');
    await expectAnswer('GET', `/ai/model/${model.modelId}`, '/ai/model/{modelId}');
    expect((await expectAnswer('GET', '/ai/model/987654', '/ai/model/{modelId}')).data).toEqual({});

    await expectAnswer('PUT', '/ai/chat/config', '/ai/chat/config', { authorization: user, body: { temperature: 0.4 } });
    await expectAnswer('GET', '/ai/chat/config', '/ai/chat/config', { authorization: user });
    await expectAnswer('POST', '/ai/chat/upload', '/ai/chat/upload', { authorization: user, body: { fileName: 'a.png', contentType: 'image/png', size: 10 } });

    await expectAnswer('POST', '/ai/quota', '/ai/quota', {
      body: { subjectType: 'user', subjectId: String(USER), period: 'day', metric: 'tokens', limit: 1, enforcement: 'soft' },
    });
    const quota = (await expectAnswer('GET', '/ai/quota/list', '/ai/quota/list')).rows[0];
    await expectAnswer('PUT', '/ai/quota', '/ai/quota', { body: { ...quota, remark: 'documented' } });
    await expectAnswer('GET', `/ai/quota/${quota.quotaId}`, '/ai/quota/{quotaId}');
    expect((await expectAnswer('GET', '/ai/quota/987654', '/ai/quota/{quotaId}')).data).toEqual({});

    const chat = await h.send({ modelId: model.modelId, message: '[[interval=0 reasoning]] hi', isReasoning: true }, { authorization: user });
    const failed = await h.send({ modelId: model.modelId, message: '[[interval=0 error_after=2]] hi' }, { authorization: user });
    const lines = [...chat.lines, ...failed.lines];
    expect(new Set(lines.map((l) => l.type))).toEqual(new Set(['meta', 'run_info', 'reasoning', 'content', 'metrics', 'error', 'notice']));
    for (const line of lines) expect(streamLineSchema.safeParse(line).error?.issues ?? [], JSON.stringify(line)).toEqual([]);
    const sessionId = chat.lines[0]!.session_id as string;

    await expectAnswer('GET', '/ai/chat/session/list', '/ai/chat/session/list', { authorization: user });
    await expectAnswer('GET', `/ai/chat/session/${sessionId}`, '/ai/chat/session/{sessionId}', { authorization: user });
    const slow = h.open({ modelId: model.modelId, message: '[[interval=50 chunks=2000]] hi' }, { authorization: user });
    await slow.capture.until((l) => l.some((line) => line.type === 'content'));
    await expectAnswer('POST', '/ai/chat/cancel', '/ai/chat/cancel', { authorization: user, body: { runId: slow.capture.lines[1]!.run_id } });
    await slow.done;
    for (const groupBy of ['user', 'dept', 'model', 'day']) await expectAnswer('GET', '/ai/usage/summary', '/ai/usage/summary', { query: { groupBy } });
    const ledger = await expectAnswer('GET', '/ai/usage/list', '/ai/usage/list');
    expect(ledger.total).toBe(3);
    expect(await expectFile('POST', '/ai/usage/export', { outcome: 'completed' })).toContain(chat.lines[1]!.run_id);
    await expectAnswer('GET', '/ai/usage/my', '/ai/usage/my', { authorization: user });
    await expectAnswer('DELETE', `/ai/quota/${quota.quotaId}`, '/ai/quota/{ids}');
    await expectAnswer('DELETE', `/ai/chat/session/${sessionId}`, '/ai/chat/session/{sessionId}', { authorization: user });
    await expectAnswer('DELETE', `/ai/model/${model.modelId}`, '/ai/model/{ids}');
    const audit = await expectAnswer('GET', '/ai/audit/list', '/ai/audit/list');
    expect(audit.total).toBeGreaterThan(0);
    expect([...seen].sort()).toEqual(Object.keys(ROUTE_ANSWERS).sort());

    const refused = await api({ method: 'GET', path: '/ai/chat/config' });
    expect(failureSchema.safeParse(refused.json).error?.issues ?? []).toEqual([]);
    const refusedStream = await h.send({ modelId: 'x', message: 'hi' }, { authorization: user });
    expect(failureSchema.safeParse(refusedStream.envelope).error?.issues ?? []).toEqual([]);
  });
});

describe('the local stack', () => {
  it('serves the document at /openapi.json', async () => {
    const server = createLocalServer({
      apiHandler: () => Promise.reject(new Error('not used')),
      streamHandler: () => Promise.reject(new Error('not used')),
      localRoutes: [createOpenApiRoute()],
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${OPENAPI_PATH}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual(JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')));
    } finally {
      server.close();
    }
  });
});
