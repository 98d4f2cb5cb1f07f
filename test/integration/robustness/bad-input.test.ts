import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { saveChatConfig } from '../../../lambdas/core/configs/repository.ts';
import { uploadPrefix } from '../../../lambdas/core/images/image-store.ts';
import { getSessionHeader, loadRuns } from '../../../lambdas/core/sessions/run-store.ts';
import { seedSession } from '../chat-api/seed.ts';
import { upstreamRequest, type ChatStreamHarness } from '../chat-stream/support.ts';
import type { ApiCall } from '../../support/api-call.ts';
import { ADMIN, bearer, CHAT_USER } from '../../support/tokens.ts';
import { expectRefusal, send, setUpBothFunctions, type Api, type Target } from './support/corpus.ts';
import { FOREIGN_PATHS, MALFORMED_RUOYI_PATHS } from '../../support/image-paths.ts';
import { PNG, storeImage } from './support/images.ts';
import { failCaseOnUnhandledRejection } from './support/rejections.ts';
import { changedItems, dumpTables, type Store } from './support/tables.ts';
import { hs256AuthDefects } from './support/token-defects.ts';
import { REFUSAL_MSG } from '../../../lambdas/core/wire/messages.ts';

/**
 * The bad-input corpus: malformed and hostile requests to both functions, each answered
 * with the contract's envelope (code and message) and each leaving every item of the
 * three tables exactly as it was (a full dump before and after, nothing excluded).
 *
 * Rate-limit counters: a send or cancel is counted once it is authenticated and well
 * formed, whatever the later checks say (a refused cancel counts too, see
 * test/integration/chat-api/cancel.test.ts), so probing other ids is throttled. Nothing below that
 * point (token, permission, body) touches a counter; the "well-formed but unknown ids"
 * group shows the counted case, the caller's counter being the only change.
 */

const USER = 81;
const MAX_MESSAGE_LENGTH = 100;
const AUTH = 401;
const INVALID = 601;
const AUTH_MSG = '认证失败，无法访问系统资源';

const user = await bearer(CHAT_USER(USER));
const admin = await bearer(ADMIN);
const noChatPerm = await bearer({ user_id: USER, perms: ['ai:model:list'] });
const authDefects = await hs256AuthDefects(CHAT_USER(USER));

let h: ChatStreamHarness;
let api: Api;
let store: Store;
/** A model that exists and works, so a refusal is never just "no such model". */
let modelId: number;

failCaseOnUnhandledRejection();

beforeAll(async () => {
  ({ h, api, store } = await setUpBothFunctions({ MAX_MESSAGE_LENGTH: String(MAX_MESSAGE_LENGTH) }));
  modelId = (await h.addModel()).modelId;
  await h.addModel({ modelCode: 'second', status: '1' });
  await saveChatConfig(h.runtime, String(USER), { temperature: 0.5, systemPrompt: 'Be brief.' });
  await seedSession(h.runtime, String(USER), 2);
});

interface BadInput {
  name: string;
  target: Target;
  code: number;
  msg: string | RegExp;
}

const stream = (
  name: string,
  body: unknown,
  code: number,
  msg: string | RegExp,
  { authorization }: { authorization: string | undefined } = { authorization: user },
): BadInput => ({
  name: `stream: ${name}`,
  target:
    typeof body === 'function'
      ? { handler: 'stream', body: undefined, lazyBody: body as () => unknown, authorization }
      : { handler: 'stream', body, authorization },
  code,
  msg,
});

const rest = (name: string, call: Omit<ApiCall, 'authorization'> & { authorization?: string | undefined }, code: number, msg: string | RegExp): BadInput => ({
  name: `rest: ${name}`,
  target: { handler: 'rest', call: { authorization: user, ...call } },
  code,
  msg,
});

/** A body that is valid but for the fields given; built at send time, once the model exists. */
const body = (fields: Record<string, unknown>) => () => ({ modelId, message: 'hi', ...fields });
const enc = encodeURIComponent;
const big = (n: number) => 'x'.repeat(n);
const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

const TOKEN_DEFECTS: BadInput[] = authDefects.flatMap(([name, authorization]) => [
  stream(name, body({}), AUTH, AUTH_MSG, { authorization }),
  rest(name, { method: 'GET', path: '/ai/chat/session/list', authorization }, AUTH, AUTH_MSG),
]);

const PERMISSIONS: BadInput[] = [
  stream('no chat permission', body({}), 403, '该用户无此接口权限', { authorization: noChatPerm }),
  rest(
    'no chat permission (config save)',
    { method: 'PUT', path: '/ai/chat/config', authorization: noChatPerm, body: { temperature: 1 } },
    403,
    '该用户无此接口权限',
  ),
  rest(
    'no model:add permission',
    { method: 'POST', path: '/ai/model', body: { modelCode: 'x', provider: 'OpenAI', modelSort: 1, baseUrl: 'https://a.example/v1' } },
    403,
    '该用户无此接口权限',
  ),
  rest('no model:remove permission', { method: 'DELETE', path: '/ai/model/1' }, 403, '该用户无此接口权限'),
];

const STREAM_BODIES: BadInput[] = [
  stream('no body', undefined, INVALID, '请求体必须是JSON对象'),
  stream('an empty body', '', INVALID, '请求体必须是JSON对象'),
  stream('malformed JSON', '{"modelId":', INVALID, '请求体不是有效的JSON'),
  stream('JSON with trailing garbage', '{"modelId":1,"message":"hi"} x', INVALID, '请求体不是有效的JSON'),
  stream('single-quoted pseudo-JSON', "{'modelId':1,'message':'hi'}", INVALID, '请求体不是有效的JSON'),
  stream('JSON null', 'null', INVALID, '请求体必须是JSON对象'),
  stream('a JSON array', [], INVALID, '请求体必须是JSON对象'),
  stream('a JSON string', '"hi"', INVALID, '请求体必须是JSON对象'),
  stream('a JSON number', '42', INVALID, '请求体必须是JSON对象'),
  stream('modelId missing', { message: 'hi' }, INVALID, 'modelId: 必须是正整数'),
  stream('modelId as text', body({ modelId: '1' }), INVALID, 'modelId: 必须是正整数'),
  stream('modelId a fraction', body({ modelId: 1.5 }), INVALID, 'modelId: 必须是正整数'),
  stream('modelId negative', body({ modelId: -1 }), INVALID, 'modelId: 必须是正整数'),
  stream('modelId zero', body({ modelId: 0 }), INVALID, 'modelId: 必须是正整数'),
  stream('modelId beyond safe integers', '{"modelId":1e300,"message":"hi"}', INVALID, 'modelId: 必须是正整数'),
  stream('modelId a NoSQL operator', body({ modelId: { $gt: 0 } }), INVALID, 'modelId: 必须是正整数'),
  stream('modelId a list', body({ modelId: [1] }), INVALID, 'modelId: 必须是正整数'),
  stream('modelId a boolean', body({ modelId: true }), INVALID, 'modelId: 必须是正整数'),
  stream('message missing', body({ message: undefined }), INVALID, 'message: 不能为空'),
  stream('message empty', body({ message: '' }), INVALID, 'message: 不能为空'),
  stream('message blank', body({ message: ' \t\n ' }), INVALID, 'message: 不能为空'),
  stream('message only ideographic spaces and a BOM', body({ message: '\u3000\u3000\ufeff' }), INVALID, 'message: 不能为空'),
  stream('message a number', body({ message: 123 }), INVALID, 'message: 不能为空'),
  stream('message a list', body({ message: ['hi'] }), INVALID, 'message: 不能为空'),
  stream('message a NoSQL operator', body({ message: { $ne: null } }), INVALID, 'message: 不能为空'),
  stream('message one over the limit', body({ message: big(MAX_MESSAGE_LENGTH + 1) }), INVALID, `message: 长度不能超过${MAX_MESSAGE_LENGTH}个字符`),
  stream(
    'message over the limit in emoji (UTF-16 units)',
    body({ message: '😀'.repeat(MAX_MESSAGE_LENGTH / 2 + 1) }),
    INVALID,
    `message: 长度不能超过${MAX_MESSAGE_LENGTH}个字符`,
  ),
  stream('message of a megabyte', body({ message: big(1024 * 1024) }), INVALID, `message: 长度不能超过${MAX_MESSAGE_LENGTH}个字符`),
  stream('sessionId no UUID', body({ sessionId: 'abc' }), INVALID, 'sessionId: 必须是UUID'),
  stream('sessionId SQL injection', body({ sessionId: "' OR '1'='1" }), INVALID, 'sessionId: 必须是UUID'),
  stream('sessionId path traversal', body({ sessionId: '../../etc/passwd' }), INVALID, 'sessionId: 必须是UUID'),
  stream('sessionId a NoSQL operator', body({ sessionId: { $ne: null } }), INVALID, 'sessionId: 必须是UUID'),
  stream('sessionId a number', body({ sessionId: 123 }), INVALID, 'sessionId: 必须是UUID'),
  stream('sessionId a UUID with a newline', body({ sessionId: `${randomUUID()}\n` }), INVALID, 'sessionId: 必须是UUID'),
  stream('sessionId a UUID in full-width digits', body({ sessionId: '１２３４５６７８-1234-4234-8234-123456789012' }), INVALID, 'sessionId: 必须是UUID'),
  stream('isReasoning as text', body({ isReasoning: 'true' }), INVALID, 'isReasoning: 必须是布尔值'),
  stream('isReasoning as a number', body({ isReasoning: 1 }), INVALID, 'isReasoning: 必须是布尔值'),
  stream('images a string', body({ images: `${uploadPrefix(String(USER))}a.png` }), INVALID, 'images: 必须是字符串数组'),
  stream('images holding a number', body({ images: [1] }), INVALID, 'images: 必须是字符串数组'),
  stream('images holding an object', body({ images: [{ key: 'a.png' }] }), INVALID, 'images: 必须是字符串数组'),
  stream(
    'one image too many',
    body({ images: Array.from({ length: 11 }, (_, i) => `${uploadPrefix(String(USER))}${i}.png`) }),
    INVALID,
    'images: 最多10张图片',
  ),
  stream('a huge images array', body({ images: Array.from({ length: 100_000 }, () => 'a') }), INVALID, 'images: 最多10张图片'),
  stream('an image key over 300 characters', body({ images: [`${uploadPrefix(String(USER))}${big(300)}.png`] }), INVALID, 'images: 图片键过长'),
  stream('images nested a hundred thousand deep', `{"modelId":1,"message":"hi","images":${deep(100_000)}}`, INVALID, 'images: 必须是字符串数组'),
  stream('a prototype-pollution body', '{"__proto__":{"modelId":1,"message":"hi"}}', INVALID, 'modelId: 必须是正整数'),
  stream('extra fields, the required ones missing', { userId: 1, runId: randomUUID(), status: 'COMPLETED' }, INVALID, 'modelId: 必须是正整数'),
];

const uuid = randomUUID();
const REST_REQUESTS: BadInput[] = [
  rest('session id no UUID', { method: 'GET', path: '/ai/chat/session/abc' }, INVALID, 'sessionId: 必须是UUID'),
  rest('session id path traversal', { method: 'GET', path: `/ai/chat/session/${enc('../../etc/passwd')}` }, INVALID, 'sessionId: 必须是UUID'),
  rest('session id SQL injection', { method: 'GET', path: `/ai/chat/session/${enc("' OR 1=1 --")}` }, INVALID, 'sessionId: 必须是UUID'),
  rest('session id broken percent-encoding', { method: 'GET', path: '/ai/chat/session/%E0%A4%A' }, 404, '请求的资源不存在'),
  rest('session delete, id a NoSQL operator', { method: 'DELETE', path: `/ai/chat/session/${enc('{"$ne":null}')}` }, INVALID, 'sessionId: 必须是UUID'),
  rest('session delete, unknown id', { method: 'DELETE', path: `/ai/chat/session/${uuid}` }, 500, '会话不存在'),
  rest('session detail, unknown id', { method: 'GET', path: `/ai/chat/session/${uuid}` }, 500, '会话不存在'),
  rest('cancel without a body', { method: 'POST', path: '/ai/chat/cancel' }, INVALID, '请求体必须是JSON对象'),
  rest('cancel malformed JSON', { method: 'POST', path: '/ai/chat/cancel', body: '{"runId":' }, INVALID, '请求体不是有效的JSON'),
  rest('cancel runId a number', { method: 'POST', path: '/ai/chat/cancel', body: { runId: 42 } }, INVALID, 'runId: 必须是UUID'),
  rest('cancel runId a NoSQL operator', { method: 'POST', path: '/ai/chat/cancel', body: { runId: { $ne: '' } } }, INVALID, 'runId: 必须是UUID'),
  rest('cancel runId SQL injection', { method: 'POST', path: '/ai/chat/cancel', body: { runId: "1'; DROP TABLE runs; --" } }, INVALID, 'runId: 必须是UUID'),
  rest('cancel prototype-pollution body', { method: 'POST', path: '/ai/chat/cancel', body: `{"__proto__":{"runId":"${uuid}"}}` }, INVALID, 'runId: 必须是UUID'),
  rest('cancel a JSON array', { method: 'POST', path: '/ai/chat/cancel', body: [] }, INVALID, '请求体必须是JSON对象'),
  rest('config malformed JSON', { method: 'PUT', path: '/ai/chat/config', body: '{"temperature":' }, INVALID, '请求体不是有效的JSON'),
  rest('config temperature as text', { method: 'PUT', path: '/ai/chat/config', body: { temperature: 'hot' } }, INVALID, 'temperature: 必须是数字'),
  rest('config temperature out of range', { method: 'PUT', path: '/ai/chat/config', body: { temperature: 5 } }, INVALID, 'temperature: 取值范围0-2'),
  rest('config numHistoryRuns a fraction', { method: 'PUT', path: '/ai/chat/config', body: { numHistoryRuns: 1.5 } }, INVALID, 'numHistoryRuns: 必须是整数'),
  rest('config numHistoryRuns negative', { method: 'PUT', path: '/ai/chat/config', body: { numHistoryRuns: -1 } }, INVALID, 'numHistoryRuns: 取值范围1-50'),
  rest('config flag not 0/1', { method: 'PUT', path: '/ai/chat/config', body: { addHistoryToContext: 'yes' } }, INVALID, 'addHistoryToContext: 只能是 0/1'),
  rest(
    'config system prompt too long',
    { method: 'PUT', path: '/ai/chat/config', body: { systemPrompt: big(4001) } },
    INVALID,
    'systemPrompt: 长度不能超过4000个字符',
  ),
  rest('config system prompt a list', { method: 'PUT', path: '/ai/chat/config', body: { systemPrompt: ['a'] } }, INVALID, 'systemPrompt: 必须是字符串'),
  rest('config image size out of range', { method: 'PUT', path: '/ai/chat/config', body: { imageMaxSizeMb: 1000 } }, INVALID, 'imageMaxSizeMb: 取值范围1-20'),
  rest('config chatConfigId negative', { method: 'PUT', path: '/ai/chat/config', body: { chatConfigId: -1 } }, INVALID, 'chatConfigId: 必须是正整数'),
  rest('config chatConfigId as text', { method: 'PUT', path: '/ai/chat/config', body: { chatConfigId: '1' } }, INVALID, 'chatConfigId: 必须是正整数'),
  rest(
    "config chatConfigId not the caller's",
    { method: 'PUT', path: '/ai/chat/config', body: { chatConfigId: 999_999, temperature: 1 } },
    500,
    '只允许修改当前用户的配置',
  ),
  rest(
    'upload of HTML',
    { method: 'POST', path: '/ai/chat/upload', body: { fileName: 'a.html', contentType: 'text/html', size: 10 } },
    INVALID,
    /^contentType: /,
  ),
  rest(
    'upload of SVG',
    { method: 'POST', path: '/ai/chat/upload', body: { fileName: 'a.svg', contentType: 'image/svg+xml', size: 10 } },
    INVALID,
    /^contentType: /,
  ),
  rest(
    'upload size negative',
    { method: 'POST', path: '/ai/chat/upload', body: { fileName: 'a.png', contentType: 'image/png', size: -1 } },
    INVALID,
    'size: 必须是正整数',
  ),
  rest(
    'upload size a fraction',
    { method: 'POST', path: '/ai/chat/upload', body: { fileName: 'a.png', contentType: 'image/png', size: 1.5 } },
    INVALID,
    'size: 必须是正整数',
  ),
  rest(
    'upload over the size limit',
    { method: 'POST', path: '/ai/chat/upload', body: { fileName: 'a.png', contentType: 'image/png', size: 100 * 1024 * 1024 } },
    INVALID,
    'size: 单张图片大小不能超过5MB',
  ),
  rest(
    'upload size beyond safe integers',
    { method: 'POST', path: '/ai/chat/upload', body: '{"fileName":"a.png","contentType":"image/png","size":1e300}' },
    INVALID,
    'size: 必须是正整数',
  ),
  rest(
    'upload without a file name',
    { method: 'POST', path: '/ai/chat/upload', body: { fileName: '  ', contentType: 'image/png', size: 10 } },
    INVALID,
    'fileName: 不能为空',
  ),
  rest(
    'upload file name too long',
    { method: 'POST', path: '/ai/chat/upload', body: { fileName: `${big(256)}.png`, contentType: 'image/png', size: 10 } },
    INVALID,
    'fileName: 长度不能超过255个字符',
  ),
  rest('model id no number', { method: 'GET', path: '/ai/model/abc', authorization: admin }, INVALID, 'modelId: 必须是正整数'),
  rest('model id negative', { method: 'GET', path: '/ai/model/-1', authorization: admin }, INVALID, 'modelId: 必须是正整数'),
  rest('model id a fraction', { method: 'GET', path: '/ai/model/1.5', authorization: admin }, INVALID, 'modelId: 必须是正整数'),
  rest('model id beyond safe integers', { method: 'GET', path: '/ai/model/99999999999999999999', authorization: admin }, INVALID, 'modelId: 必须是正整数'),
  rest('model id path traversal', { method: 'GET', path: `/ai/model/${enc('../1')}`, authorization: admin }, INVALID, 'modelId: 必须是正整数'),
  rest('model delete, one id no number', { method: 'DELETE', path: '/ai/model/1,abc', authorization: admin }, INVALID, 'modelIds: 必须是正整数'),
  rest('model delete, SQL injection', { method: 'DELETE', path: `/ai/model/${enc('1 OR 1=1')}`, authorization: admin }, INVALID, 'modelIds: 必须是正整数'),
  rest('model delete, negative id', { method: 'DELETE', path: '/ai/model/-1', authorization: admin }, INVALID, 'modelIds: 必须是正整数'),
  rest('model delete, only commas', { method: 'DELETE', path: '/ai/model/,,,', authorization: admin }, 500, '传入AI模型id为空'),
  rest(
    'model delete, 101 ids',
    { method: 'DELETE', path: `/ai/model/${Array.from({ length: 101 }, (_, i) => i + 1).join(',')}`, authorization: admin },
    INVALID,
    'modelIds: 一次最多删除100个',
  ),
  rest('model create, empty body', { method: 'POST', path: '/ai/model', authorization: admin, body: {} }, INVALID, '模型编码不能为空'),
  rest(
    'model create, code too long',
    {
      method: 'POST',
      path: '/ai/model',
      authorization: admin,
      body: { modelCode: big(101), provider: 'OpenAI', modelSort: 1, baseUrl: 'https://a.example/v1' },
    },
    INVALID,
    '模型编码长度不能超过100个字符',
  ),
  rest(
    'model create, no base URL',
    { method: 'POST', path: '/ai/model', authorization: admin, body: { modelCode: 'x', provider: 'OpenAI', modelSort: 1 } },
    INVALID,
    'Base URL不能为空',
  ),
  rest(
    'model create, base URL too long',
    {
      method: 'POST',
      path: '/ai/model',
      authorization: admin,
      body: { modelCode: 'x', provider: 'OpenAI', modelSort: 1, baseUrl: `https://a.example/${big(250)}` },
    },
    INVALID,
    'Base URL长度不能超过255个字符',
  ),
  rest(
    'model create, unknown provider',
    { method: 'POST', path: '/ai/model', authorization: admin, body: { modelCode: 'x', provider: 'EvilCorp', modelSort: 1, baseUrl: 'https://a.example/v1' } },
    INVALID,
    '不支持的模型提供商',
  ),
  rest(
    'model create, no sort order',
    { method: 'POST', path: '/ai/model', authorization: admin, body: { modelCode: 'x', provider: 'OpenAI', baseUrl: 'https://a.example/v1' } },
    INVALID,
    '显示顺序不能为空',
  ),
  rest(
    'model create, temperature out of range',
    {
      method: 'POST',
      path: '/ai/model',
      authorization: admin,
      body: { modelCode: 'x', provider: 'OpenAI', modelSort: 1, baseUrl: 'https://a.example/v1', temperature: 3 },
    },
    INVALID,
    'temperature: 取值范围0-2',
  ),
  rest(
    'model create, status not 0/1',
    {
      method: 'POST',
      path: '/ai/model',
      authorization: admin,
      body: { modelCode: 'x', provider: 'OpenAI', modelSort: 1, baseUrl: 'https://a.example/v1', status: '2' },
    },
    INVALID,
    'status: 只能是 0/1',
  ),
  rest(
    'model create, API key too long',
    {
      method: 'POST',
      path: '/ai/model',
      authorization: admin,
      body: { modelCode: 'x', provider: 'OpenAI', modelSort: 1, baseUrl: 'https://a.example/v1', apiKey: big(1025) },
    },
    INVALID,
    'apiKey: 长度不能超过1024个字符',
  ),
  rest(
    'model update without modelId',
    { method: 'PUT', path: '/ai/model', authorization: admin, body: { modelCode: 'x', provider: 'OpenAI', modelSort: 1, baseUrl: 'https://a.example/v1' } },
    INVALID,
    'modelId: 必须是正整数',
  ),
  rest(
    'model update, unknown modelId',
    {
      method: 'PUT',
      path: '/ai/model',
      authorization: admin,
      body: { modelId: 987_654, modelCode: 'x', provider: 'OpenAI', modelSort: 1, baseUrl: 'https://a.example/v1' },
    },
    500,
    'AI模型不存在',
  ),
  rest(
    'model list, page size too large',
    { method: 'GET', path: '/ai/model/list', authorization: admin, query: { pageSize: '100000' } },
    INVALID,
    'pageSize: 不能超过500',
  ),
  rest(
    'model list, page number zero',
    { method: 'GET', path: '/ai/model/list', authorization: admin, query: { pageNum: '0' } },
    INVALID,
    'pageNum: 必须是正整数',
  ),
  rest(
    'model list, page number no number',
    { method: 'GET', path: '/ai/model/list', authorization: admin, query: { pageNum: 'abc' } },
    INVALID,
    'pageNum: 必须是正整数',
  ),
  rest(
    'model list, status SQL injection',
    { method: 'GET', path: '/ai/model/list', authorization: admin, query: { status: "0' OR '1'='1" } },
    INVALID,
    'status: 只能是 0/1',
  ),
  rest('an unknown route', { method: 'GET', path: '/ai/../etc/passwd' }, 404, '请求的资源不存在'),
];

const CORPUS = [...TOKEN_DEFECTS, ...PERMISSIONS, ...STREAM_BODIES, ...REST_REQUESTS];

describe('bad-input corpus', () => {
  it('has at least 60 requests, across both functions', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(60);
    expect(CORPUS.filter((c) => c.target.handler === 'stream').length).toBeGreaterThanOrEqual(30);
    expect(CORPUS.filter((c) => c.target.handler === 'rest').length).toBeGreaterThanOrEqual(30);
  });

  it.each(CORPUS)('$name: the right envelope, every table unchanged', async ({ target, code, msg }) => {
    const before = await dumpTables(store);
    const answer = await send(h, api, target);
    expectRefusal(answer, code, msg);
    expect(await dumpTables(store)).toEqual(before);
  });

  it('reaches no model for any of it', () => {
    expect(h.modelServer.stats.requests).toEqual([]);
  });
});

describe('control: the same requests made right are accepted', () => {
  it('a good token and body stream a reply; a good REST call answers 200', async () => {
    const answer = await send(h, api, { handler: 'stream', body: { modelId, message: '[[interval=0]] hi' }, authorization: user });
    expect(answer.streamed).toBe(true);
    expect(answer.capture!.lines.at(-1)!.type).toBe('metrics');
    expect((await api({ method: 'GET', path: '/ai/chat/session/list', authorization: user })).json).toMatchObject({ code: 200 });
  });
});

describe("well-formed but unknown ids: refused, and only the caller's counter moves", () => {
  it.each([
    ['stream: an unknown model', { handler: 'stream', body: { modelId: 987_654, message: 'hi' }, authorization: user }, REFUSAL_MSG.modelMissing, 'send'],
    // A new session id is claimed in the checks' round; the refusal takes the claim back.
    [
      'stream: a new session id with an unknown model',
      { handler: 'stream', body: undefined, lazyBody: body({ modelId: 987_654, sessionId: randomUUID() }), authorization: user },
      REFUSAL_MSG.modelMissing,
      'send',
    ],
    [
      'rest: cancel of an unknown run',
      { handler: 'rest', call: { method: 'POST', path: '/ai/chat/cancel', authorization: user, body: { runId: randomUUID() } } },
      '无权取消该运行',
      'cancel',
    ],
  ] as [string, Target, string, string][])('%s', async (_name, target, msg, action) => {
    const before = await dumpTables(store);
    expectRefusal(await send(h, api, target), 500, msg);
    expect(changedItems(before, await dumpTables(store))).toEqual([`RATE#${USER}#${action}`]);
  });
});

describe('accepted input that must not do more than it says', () => {
  it('path-traversal and foreign image keys are ignored: no image reaches the model or the stored run', async () => {
    const vision = await h.addModel({ supportImages: 'Y' });
    const theirs = storeImage('uploads/82/0a1b2c.png');
    const keys = [
      'uploads/82/0a1b2c.png',
      `${uploadPrefix(String(USER))}../82/0a1b2c.png`,
      `${uploadPrefix(String(USER))}..%2F82%2F0a1b2c.png`,
      '../../etc/passwd',
      '/etc/passwd',
      `${uploadPrefix(String(USER))}sub/dir.png`,
      `uploads/${USER}`,
      `${uploadPrefix(String(USER))}a.png\u0000.txt`,
    ];
    const answer = await send(h, api, {
      handler: 'stream',
      body: { modelId: vision.modelId, message: '[[interval=0]] look', images: keys },
      authorization: user,
    });
    expect(answer.capture!.lines.at(-1)!.type).toBe('metrics');
    expect((upstreamRequest(h.modelServer).body.messages as { content: unknown }[]).at(-1)!.content).toBe('[[interval=0]] look');
    const [run] = await loadRuns(store, answer.capture!.lines[0]!.session_id);
    expect(run!.images).toEqual([]);
    expect(readFileSync(theirs)).toEqual(PNG);
  });

  it('without a RuoYi configured, RuoYi upload paths of any spelling are foreign entries: ignored, nothing fetched or stored', async () => {
    const vision = await h.addModel({ supportImages: 'Y' });
    const spellings = ['/profile/upload/2026/11/24/a.png', ...MALFORMED_RUOYI_PATHS, ...FOREIGN_PATHS];
    for (let i = 0; i < spellings.length; i += 10) {
      const images = spellings.slice(i, i + 10);
      const answer = await send(h, api, { handler: 'stream', body: { modelId: vision.modelId, message: '[[interval=0]] look', images }, authorization: admin });
      expect(answer.capture!.lines.at(-1)!.type, images.join(' ')).toBe('metrics');
      expect((upstreamRequest(h.modelServer).body.messages as { content: unknown }[]).at(-1)!.content).toBe('[[interval=0]] look');
      const [run] = await loadRuns(store, answer.capture!.lines[0]!.session_id);
      expect(run!.images).toEqual([]);
    }
  });

  it("an upload whose file name is a path gets a fresh key under the caller's own prefix; only the caller's upload counters move", async () => {
    const before = await dumpTables(store);
    const out = await api({
      method: 'POST',
      path: '/ai/chat/upload',
      authorization: user,
      body: { fileName: '../../../etc/passwd.png', contentType: 'image/png', size: 10 },
    });
    expect(out.json.code).toBe(200);
    expect(out.json.data.key).toMatch(new RegExp(`^${uploadPrefix(String(USER))}[0-9a-f-]{36}\\.png$`));
    expect(changedItems(before, await dumpTables(store))).toEqual([`RATE#${USER}#upload`, `RATE#${USER}#upload-bytes`]);
  });

  it("fields the body may not set (userId, runId, status) are dropped: the run is the caller's", async () => {
    const answer = await send(h, api, {
      handler: 'stream',
      body: { modelId, message: '[[interval=0]] mine', userId: 1, user_id: 1, runId: uuid, status: 'COMPLETED' },
      authorization: user,
    });
    const [meta, runInfo] = answer.capture!.lines;
    expect(runInfo!.run_id).not.toBe(uuid);
    expect(await getSessionHeader(store, meta!.session_id)).toMatchObject({ userId: String(USER) });
  });

  it.each([
    ['SQL', "'; DROP TABLE sessions; --"],
    ['NoSQL', '{"$where": "sleep(1000)"}'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a template spelling is the hostile input itself
    ['a template', '${process.env.JWT_SECRET} {{7*7}}'],
    ['right-to-left override and zero-width joiners', 'abc\u202edcba 👩‍👩‍👧 e\u0301'],
    ['a NUL and control characters', 'a\u0000b\u0007c'],
    ['astral characters at the title cut', '𝒜'.repeat(25)],
  ])('message text with %s is sent and stored verbatim', async (_name, text) => {
    const answer = await send(h, api, { handler: 'stream', body: { modelId, message: `[[interval=0]] ${text}` }, authorization: user });
    expect(answer.capture!.lines.at(-1)!.type).toBe('metrics');
    expect((upstreamRequest(h.modelServer).body.messages as { content: unknown }[]).at(-1)!.content).toBe(`[[interval=0]] ${text}`);
    const [run] = await loadRuns(store, answer.capture!.lines[0]!.session_id);
    expect(run!.userMessage).toBe(`[[interval=0]] ${text}`);
  });
});
