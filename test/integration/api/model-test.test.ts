import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startModelServer, type ModelServer } from '../../../local/model-server.ts';
import type { StoredAuditRecord } from '../../../lambdas/core/audit/repository.ts';
import { API_KEY_MASK } from '../../../lambdas/core/models/schema.ts';
import { enforceRateLimit } from '../../../lambdas/core/ratelimit/rate-limit.ts';
import { modelTestResultSchema } from '../../../lambdas/core/wire/responses.ts';
import { REFUSAL_MSG, UPSTREAM_MSG } from '../../../lambdas/core/wire/messages.ts';
import { captureLogs, type ChatStreamHarness } from '../chat-stream/support.ts';
import { setUpBothFunctions, type Api } from '../robustness/support/corpus.ts';
import { ADMIN, bearer, CHAT_USER } from '../../support/tokens.ts';

/**
 * POST /ai/model/test through the real api handler, against the offline model server
 * serving one model code (any other is OpenAI's 404 `model_not_found`): the checks a send
 * makes come first, the provider is asked once, and neither the answer, the log nor the
 * audit trail holds the key.
 */

const STORED_KEY = 'sk-stored-VERY-SECRET-0123456789';
const TYPED_KEY = 'sk-typed-ALSO-SECRET-9876543210';
/** Sends a minute per user: room for the admin's tests in this file, spent on purpose in the rate-limit test. */
const LIMIT = 30;

let h: ChatStreamHarness;
let api: Api;
let provider: ModelServer;
let admin: string;
/** Loaded after the environment is set: the logger it uses reads LOG_LEVEL when first imported. */
let modelTest: typeof import('../../../lambdas/core/models/model-test.ts');

/** A token whose holder may edit models, with the given data scope (claims mode). */
const editor = (userId: number, extra: Record<string, unknown> = {}) =>
  bearer(CHAT_USER(userId, { perms: ['ai:chat:list', 'ai:model:edit'], dept_id: 7, ...extra }));

const test = async (body: Record<string, unknown>, authorization = admin) => (await api({ method: 'POST', path: '/ai/model/test', authorization, body })).json;

/** Requests the provider received during `call`. */
const providerRequests = async (call: () => Promise<unknown>) => {
  const before = provider.stats.requests.length;
  await call();
  return provider.stats.requests.slice(before);
};

const newestAudit = async () => {
  const out = await h.runtime.db.scan({ TableName: process.env.AUDIT_TABLE!, ConsistentRead: true });
  return ((out.Items ?? []) as StoredAuditRecord[]).sort((a, b) => b.operId - a.operId)[0]!;
};

beforeAll(async () => {
  ({ h, api } = await setUpBothFunctions({ LOG_LEVEL: 'INFO', RATE_LIMIT_SENDS_PER_MINUTE: String(LIMIT) }));
  modelTest = await import('../../../lambdas/core/models/model-test.ts');
  provider = await startModelServer({ models: ['offline-echo'] });
  admin = await bearer(ADMIN);
});

afterAll(() => provider.close());

describe('POST /ai/model/test', () => {
  it('streams one minimal request with the stored key and answers the time to first text, the key nowhere', async () => {
    const model = await h.addModel({ baseUrl: provider.url, apiKey: STORED_KEY, status: '1' });
    const logs = captureLogs();
    let res: Record<string, any>;
    let sent: Awaited<ReturnType<typeof providerRequests>>;
    try {
      sent = await providerRequests(async () => {
        res = await test({ modelId: model.modelId });
      });
    } finally {
      logs.stop();
    }
    expect(res!).toMatchObject({ code: 200, success: true });
    expect(modelTestResultSchema.safeParse(res!.data).error?.issues ?? []).toEqual([]);
    expect(res!.data).toMatchObject({
      passed: true,
      errorClass: null,
      reason: null,
      modelCode: 'offline-echo',
      provider: 'OpenAI',
      baseUrl: provider.url,
      keySource: 'stored',
    });
    expect(res!.data.timeToFirstToken).toBeGreaterThan(0);
    expect(res!.data.message).toBe(`连接成功，首字耗时 ${res!.data.timeToFirstToken} 秒`);
    expect(sent!).toHaveLength(1);
    expect(sent![0]!.authorization).toBe(`Bearer ${STORED_KEY}`);
    expect(sent![0]!.body).toMatchObject({ model: 'offline-echo', stream: true, messages: [{ role: 'user', content: modelTest.MODEL_TEST_PROMPT }] });
    expect(JSON.stringify(res!)).not.toContain(STORED_KEY);
    expect(logs.text).not.toContain(STORED_KEY);
    expect(logs.entries().find((e) => e.message === 'model tested')).toMatchObject({ modelId: model.modelId, passed: true });

    const audit = await newestAudit();
    expect(audit).toMatchObject({ title: 'AI模型管理', businessType: 0, method: 'models.testModel()', itemId: String(model.modelId), status: 0 });
    expect(JSON.parse(audit.jsonResult).data).toMatchObject({ passed: true, keySource: 'stored' });
    expect(JSON.stringify(audit)).not.toContain(STORED_KEY);
  });

  it('answers a wrong model code with the provider\'s own "model not found" reason', async () => {
    const model = await h.addModel({ baseUrl: provider.url, apiKey: STORED_KEY, modelCode: 'gpt-4o-mnii' });
    const res = await test({ modelId: model.modelId });
    expect(res).toMatchObject({ code: 200, success: true });
    expect(res.data).toMatchObject({ passed: false, errorClass: 'modelNotFound', status: 404, modelCode: 'gpt-4o-mnii', timeToFirstToken: null });
    expect(res.data.reason).toBe('The model `gpt-4o-mnii` does not exist or you do not have access to it.');
    expect(res.data.message).toBe(`${UPSTREAM_MSG.modelNotFound}（服务商：${res.data.reason}）`);

    // The form's unsaved code is what is tested: the right one passes, nothing is saved.
    const fixed = await test({ modelId: model.modelId, modelCode: 'offline-echo', apiKey: API_KEY_MASK });
    expect(fixed.data).toMatchObject({ passed: true, modelCode: 'offline-echo', keySource: 'stored' });
    expect((await api({ method: 'GET', path: `/ai/model/${model.modelId}`, authorization: admin })).json.data.modelCode).toBe('gpt-4o-mnii');
  });

  it("refuses an editor outside the model's data scope before any contact with the provider", async () => {
    const model = await h.addModel({ baseUrl: provider.url, apiKey: STORED_KEY, userId: '1', deptId: '100' });
    const outsiders = [await editor(701, { data_scope: 'self' }), await editor(702, { data_scope: 'dept' }), await editor(703, { data_scope: 'none' })];
    const sent = await providerRequests(async () => {
      for (const token of outsiders)
        expect(await test({ modelId: model.modelId }, token)).toMatchObject({ code: 500, msg: REFUSAL_MSG.modelOutOfScope, success: false });
    });
    expect(sent).toEqual([]);
    const own = await h.addModel({ baseUrl: provider.url, userId: '701' });
    expect((await test({ modelId: own.modelId }, outsiders[0])).data).toMatchObject({ passed: true, keySource: 'none' });
  });

  it('needs ai:model:edit', async () => {
    const model = await h.addModel({ baseUrl: provider.url });
    const viewer = await bearer(CHAT_USER(704, { perms: ['ai:chat:list', 'ai:model:list', 'ai:model:query', 'ai:model:add'] }));
    expect(await test({ modelId: model.modelId }, viewer)).toMatchObject({ code: 403, msg: '该用户无此接口权限' });
  });

  it('uses a key typed for the test, for that test only', async () => {
    const model = await h.addModel({ baseUrl: provider.url, apiKey: STORED_KEY });
    const sent = await providerRequests(async () => {
      expect((await test({ modelId: model.modelId, apiKey: TYPED_KEY })).data).toMatchObject({ passed: true, keySource: 'typed' });
    });
    expect(sent.map((r) => r.authorization)).toEqual([`Bearer ${TYPED_KEY}`]);
    expect(
      await h.runtime.cipher.decrypt((await h.runtime.db.get({ TableName: h.runtime.tables.models, Key: { modelId: model.modelId } })).Item!.apiKeyCipher, {
        modelId: model.modelId,
      }),
    ).toBe(STORED_KEY);
    expect(JSON.stringify((await newestAudit()).operParam)).not.toContain(TYPED_KEY);
  });

  it('keeps the stored key with its endpoint, and sends nothing past the base-URL guard', async () => {
    const model = await h.addModel({ baseUrl: provider.url, apiKey: STORED_KEY });
    const sent = await providerRequests(async () => {
      expect(await test({ modelId: model.modelId, baseUrl: 'https://collector.example.com/v1' })).toMatchObject({ code: 601, msg: REFUSAL_MSG.keyRequired });
      expect(await test({ modelId: model.modelId, provider: 'DeepSeek', apiKey: API_KEY_MASK })).toMatchObject({ code: 601, msg: REFUSAL_MSG.keyRequired });
      expect(await test({ modelId: model.modelId, baseUrl: 'http://10.1.2.3/v1', apiKey: TYPED_KEY })).toMatchObject({
        code: 500,
        msg: REFUSAL_MSG.privateTarget,
      });
      expect(await test({ modelId: model.modelId, baseUrl: 'ftp://x.example.com/v1', apiKey: TYPED_KEY })).toMatchObject({
        code: 500,
        msg: REFUSAL_MSG.badUrl,
      });
    });
    expect(sent).toEqual([]);
  });

  it('refuses a model that does not exist and bad input', async () => {
    expect(await test({ modelId: 987_654 })).toMatchObject({ code: 500, msg: REFUSAL_MSG.modelAbsent });
    expect(await test({})).toMatchObject({ code: 601, msg: 'modelId: 必须是正整数' });
    expect(await test({ modelId: 1, modelCode: '  ' })).toMatchObject({ code: 601, msg: '模型编码不能为空' });
    expect(await test({ modelId: 1, provider: 'Nope' })).toMatchObject({ code: 601, msg: '不支持的模型提供商' });
  });

  it('answers a provider it cannot reach as the chat would', async () => {
    const model = await h.addModel({ baseUrl: h.modelServer.url, apiKey: STORED_KEY });
    const closed = await startModelServer();
    const url = closed.url;
    await closed.close();
    const res = await test({ modelId: model.modelId, baseUrl: url, apiKey: TYPED_KEY });
    expect(res.data).toMatchObject({ passed: false, errorClass: 'unreachable', message: UPSTREAM_MSG.unreachable, status: null });
  });

  it('takes one of the caller’s sends of the minute, as a send does', async () => {
    const model = await h.addModel({ baseUrl: provider.url });
    const token = await editor(710, { data_scope: 'all' });
    const now = Date.now();
    if (now % 60_000 > 55_000) await new Promise((r) => setTimeout(r, 60_000 - (now % 60_000) + 50));
    for (let i = 0; i < LIMIT - 1; i++) await enforceRateLimit(h.runtime, '710', 'send', LIMIT);
    expect((await test({ modelId: model.modelId }, token)).data).toMatchObject({ passed: true });
    const sent = await providerRequests(async () => {
      expect(await test({ modelId: model.modelId }, token)).toMatchObject({ code: 429, success: false });
    });
    expect(sent).toEqual([]);
    const chat = await h.send({ modelId: model.modelId, message: 'hi' }, { authorization: token });
    expect(chat.envelope).toMatchObject({ code: 429 });
  });
});

describe('the test budget', () => {
  it('answers a timeout when no text comes within it', async () => {
    const model = await h.addModel({ baseUrl: provider.url });
    const identity = await h.runtime.verifyToken(admin);
    // Headers at once, then nothing: a server that holds the stream open.
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`;
      const result = await modelTest.testModel(h.runtime, identity, { modelId: model.modelId, baseUrl: url }, { budgetMs: 300 });
      expect(result).toMatchObject({ passed: false, errorClass: 'timeout', message: UPSTREAM_MSG.timeout, timeToFirstToken: null });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
