import { beforeAll, describe, expect, it } from 'vitest';
import { replaceModel } from '../../../lambdas/core/models/repository.ts';
import { seedSession } from '../chat-api/seed.ts';
import { bearer, CHAT_USER, signToken } from '../../support/tokens.ts';
import { setUpChatStream, type Capture, type ChatStreamHarness } from './support.ts';
import { REFUSAL_MSG } from '../../../lambdas/core/wire/messages.ts';

let h: ChatStreamHarness;
let auth: string;
const USER = 51;

beforeAll(async () => {
  h = await setUpChatStream({ RATE_LIMIT_SENDS_PER_MINUTE: '40', MAX_MESSAGE_LENGTH: '50' });
  auth = await bearer(CHAT_USER(USER));
});

/** Everything in the sessions table apart from rate-limit counters: a refusal must leave it as it was. */
const sessionItems = async () =>
  ((await h.runtime.db.scan({ TableName: h.runtime.tables.sessions })).Items ?? []).filter((item) => !String(item.pk).startsWith('RATE#'));

/** A proxy in front must neither hold back nor keep a refusal, as for the stream itself. */
const UNBUFFERED = { 'cache-control': 'no-cache', 'x-accel-buffering': 'no' };

const expectEnvelope = (out: Capture, code: number, msg: string | RegExp) => {
  expect(out.prelude?.statusCode).toBe(200);
  expect(out.prelude?.headers).toMatchObject({ 'content-type': expect.stringMatching(/^application\/json/), ...UNBUFFERED });
  const env = out.envelope;
  expect(env.code).toBe(code);
  expect(env.success).toBe(false);
  if (typeof msg === 'string') expect(env.msg).toBe(msg);
  else expect(env.msg).toMatch(msg);
  expect(out.raw).not.toContain('"type":"meta"');
};

describe('refusals before streaming are JSON envelopes that change nothing', () => {
  it('401 without a token, with a malformed, a wrongly signed or an expired one', async () => {
    const model = await h.addModel();
    const body = { modelId: model.modelId, message: 'hi' };
    const before = await sessionItems();
    for (const authorization of [
      undefined,
      'Bearer nope',
      `Bearer ${await signToken(CHAT_USER(USER), { secret: 'another-secret-that-is-long-enough-x' })}`,
      `Bearer ${await signToken(CHAT_USER(USER), { expiresInS: -60 })}`,
    ]) {
      expectEnvelope(await h.send(body, { authorization }), 401, /认证失败/);
    }
    expect(await sessionItems()).toEqual(before);
    expect(h.modelServer.stats.requests).toHaveLength(0);
  });

  it('403 without the chat permission', async () => {
    const model = await h.addModel();
    const token = await bearer({ user_id: 52, perms: ['ai:model:list'] });
    expectEnvelope(await h.send({ modelId: model.modelId, message: 'hi' }, { authorization: token }), 403, '该用户无此接口权限');
  });

  it.each([
    ['no body', undefined, /请求体/],
    ['malformed JSON', '{"modelId":', '请求体不是有效的JSON'],
    ['an array', [], '请求体必须是JSON对象'],
    ['no modelId', { message: 'hi' }, /^modelId: /],
    ['a string modelId', { modelId: 'abc', message: 'hi' }, /^modelId: /],
    ['modelId 0', { modelId: 0, message: 'hi' }, /^modelId: /],
    ['no message', { modelId: 1 }, /^message: /],
    ['a blank message', { modelId: 1, message: '   ' }, 'message: 不能为空'],
    ['a message over the limit', { modelId: 1, message: 'x'.repeat(51) }, 'message: 长度不能超过50个字符'],
    ['a sessionId that is no UUID', { modelId: 1, message: 'hi', sessionId: '../etc' }, /^sessionId: /],
    ['isReasoning as text', { modelId: 1, message: 'hi', isReasoning: 'yes' }, /^isReasoning: /],
    ['images not a list', { modelId: 1, message: 'hi', images: 'a.png' }, /^images: /],
    ['too many images', { modelId: 1, message: 'hi', images: Array.from({ length: 11 }, (_, i) => `uploads/51/${i}.png`) }, /^images: /],
  ])('601 naming the field for %s', async (_name, body, msg) => {
    const before = await sessionItems();
    expectEnvelope(await h.send(body, { authorization: auth }), 601, msg);
    expect(await sessionItems()).toEqual(before);
  });

  it('模型不存在 for an unknown model, 模型已停用 for a disabled one', async () => {
    expectEnvelope(await h.send({ modelId: 987654, message: 'hi' }, { authorization: auth }), 500, REFUSAL_MSG.modelMissing);
    const disabled = await h.addModel({ status: '1' });
    const before = await sessionItems();
    expectEnvelope(await h.send({ modelId: disabled.modelId, message: 'hi' }, { authorization: auth }), 500, REFUSAL_MSG.modelDisabled);
    expect(await sessionItems()).toEqual(before);
  });

  it("refuses a model outside the caller's data scope", async () => {
    const model = await h.addModel({ userId: '7', deptId: '100' });
    const self = await bearer(CHAT_USER(53, { data_scope: 'self', dept_id: 100 }));
    expectEnvelope(await h.send({ modelId: model.modelId, message: 'hi' }, { authorization: self }), 500, '没有权限访问AI模型数据');
    const otherDept = await bearer(CHAT_USER(53, { data_scope: 'dept', dept_id: 200 }));
    expectEnvelope(await h.send({ modelId: model.modelId, message: 'hi' }, { authorization: otherDept }), 500, '没有权限访问AI模型数据');
    const sameDept = await bearer(CHAT_USER(53, { data_scope: 'dept', dept_id: 100 }));
    const ok = await h.send({ modelId: model.modelId, message: '[[interval=0]] hi' }, { authorization: sameDept });
    expect(ok.lines.at(-1)!.type).toBe('metrics');
  });

  it("无权访问该会话 for another user's session, and nothing is added to it", async () => {
    const model = await h.addModel();
    const { sessionId } = await seedSession(h.runtime, '999', 1);
    const before = await sessionItems();
    expectEnvelope(await h.send({ modelId: model.modelId, message: 'hi', sessionId }, { authorization: auth }), 500, '无权访问该会话');
    expect(await sessionItems()).toEqual(before);
  });

  it('names the first problem in a fixed order whichever read finishes first', async () => {
    const { sessionId } = await seedSession(h.runtime, '999', 1);
    const out = await h.send({ modelId: 987654, message: 'hi', sessionId }, { authorization: auth });
    expectEnvelope(out, 500, REFUSAL_MSG.modelMissing);
  });

  it('模型API密钥解密失败 when the stored key does not decrypt for this model', async () => {
    const donor = await h.addModel({ apiKey: 'sk-donor' });
    const model = await h.addModel();
    await replaceModel(h.runtime, { ...model, apiKeyCipher: donor.apiKeyCipher });
    expectEnvelope(await h.send({ modelId: model.modelId, message: 'hi' }, { authorization: auth }), 500, REFUSAL_MSG.keyDecrypt);
  });

  it.each([
    ['ftp://example.com/v1', REFUSAL_MSG.badUrl],
    ['not a url', REFUSAL_MSG.badUrl],
    ['http://10.0.0.5/v1', REFUSAL_MSG.privateTarget],
    ['http://169.254.169.254/latest', REFUSAL_MSG.privateTarget],
    // Loopback is allowed by name in this file (127.0.0.1), so the other spellings use other blocked hosts.
    ['http://127.0.0.2/v1', REFUSAL_MSG.privateTarget],
    ['http://167772165/v1', REFUSAL_MSG.privateTarget],
    ['http://012.0.0.5/v1', REFUSAL_MSG.privateTarget],
    ['http://0xa9.0xfe.0xa9.0xfe/latest', REFUSAL_MSG.privateTarget],
    ['http://[::ffff:10.0.0.5]/v1', REFUSAL_MSG.privateTarget],
    ['http://[::ffff:a9fe:a9fe]/v1', REFUSAL_MSG.privateTarget],
    ['http://[fe80::1]/v1', REFUSAL_MSG.privateTarget],
    ['http://[::1]:11434/v1', REFUSAL_MSG.privateTarget],
    ['http://0.0.0.0/v1', REFUSAL_MSG.privateTarget],
    ['http://printer.local/v1', REFUSAL_MSG.privateTarget],
  ])('refuses the base URL %s before any connection', async (baseUrl, msg) => {
    const model = await h.addModel({ baseUrl });
    const before = await sessionItems();
    expectEnvelope(await h.send({ modelId: model.modelId, message: 'hi' }, { authorization: auth }), 500, msg);
    expect(await sessionItems()).toEqual(before);
  });

  it('429 once the per-minute send limit is spent, before anything is written', async () => {
    const limited = await setUpLimited();
    expect(limited.first.lines.at(-1)!.type).toBe('metrics');
    expectEnvelope(limited.second, 429, /频繁/);
  });

  it('404 for another path or method', async () => {
    const model = await h.addModel();
    const out = await h.send({ modelId: model.modelId, message: 'hi' }, { authorization: auth, path: '/other' });
    expect(out.prelude?.statusCode).toBe(404);
    expect(out.envelope.code).toBe(404);
    const get = await h.send(undefined, { authorization: auth, method: 'GET' });
    expect(get.prelude?.statusCode).toBe(404);
  });
});

/** The limit is read per process, so a second user at the edge of it shows the 429. */
const setUpLimited = async () => {
  const { enforceRateLimit } = await import('../../../lambdas/core/ratelimit/rate-limit.ts');
  const userId = 54;
  const token = await bearer(CHAT_USER(userId));
  const model = await h.addModel();
  // Spend all but one of this minute's sends for the user.
  const limit = h.runtime.settings.RATE_LIMIT_SENDS_PER_MINUTE;
  const now = Date.now();
  if (now % 60_000 > 55_000) await new Promise((r) => setTimeout(r, 60_000 - (now % 60_000) + 50));
  for (let i = 0; i < limit - 1; i++) await enforceRateLimit(h.runtime, String(userId), 'send', limit);
  const first = await h.send({ modelId: model.modelId, message: '[[interval=0]] last one' }, { authorization: token });
  const before = await sessionItems();
  const second = await h.send({ modelId: model.modelId, message: 'one too many' }, { authorization: token });
  expect(await sessionItems()).toEqual(before);
  return { first, second };
};
