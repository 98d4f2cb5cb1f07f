import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startModelServer, type ModelServer } from '../../../local/model-server.ts';
import { startLocalStack, type LocalStack } from '../../../local/stack.ts';
import { solidPng } from '../../browser/support/chat-page.ts';
import { freePort, nginxDir, nginxMissing, startNginx, type Nginx } from './support/nginx.ts';
import { startRuoyiBackend, startTlsOrigin, type RecordingOrigin } from './support/origins.ts';
import { guideNginxBlock, pointBlockAt } from './support/doc-blocks.ts';
import { ruoyiServerBlock } from './support/ruoyi-site.ts';
import { readOf, readStream } from './support/stream-reads.ts';

/**
 * The operations guide's nginx blocks, taken from docs/operations.md, inside RuoYi's own server block
 * (test/integration/proxy/fixtures/nginx.dockermy.conf) in Debian's nginx, in front of the local stack
 * (plain HTTP) and of an HTTPS origin that checks the TLS server name and Host. The
 * requests are the ones RuoYi's pages make (plugins/ai: api/chat.js, api/model.js and
 * views/chat/index.vue), under the Docker build's prefix `/docker-api`.
 */

const missing = nginxMissing();

const PREFIX = '/docker-api';
const VARIANTS = ['distribution', 'two-origins'] as const;
type Variant = (typeof VARIANTS)[number];

// RuoYi's habit (its own /docker-api/ block, and what the issue found admins write):
// Host $host and no word about buffering. The second one also ignores the stream's
// X-Accel-Buffering, as nginx's default buffering would without it: the control that
// shows the read counting below can tell a held-back reply.
const habitBlock = (location: string, target: string, extra = '') => `
    location ${location} {
        proxy_pass ${target};
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;${extra}
    }`;

let stack: LocalStack;
let model: ModelServer;
let ruoyi: RecordingOrigin;
let tls: RecordingOrigin & { caFile: string };
let nginx: Nginx | undefined;
/** Where nginx listens: RuoYi's site with each of the guide's variants, and the HTTPS checks. */
const site = {} as Record<Variant, string>;
const tlsSite = {} as Record<Variant | 'habit', string>;

beforeAll(async () => {
  if (missing) return;
  model = await startModelServer();
  stack = await startLocalStack({ modelBaseUrl: model.url, env: { MODEL_HOST_ALLOWLIST: '127.0.0.1', CANCEL_POLL_MS: '25' } });
  ruoyi = await startRuoyiBackend();
  const dir = await nginxDir();
  tls = await startTlsOrigin(dir);
  const htmlDir = join(dir, 'html');
  await mkdir(htmlDir);
  await writeFile(join(htmlDir, 'index.html'), '<title>RuoYi pages</title>');

  const ports = await Promise.all([1, 2, 3, 4, 5].map(() => freePort()));
  const [distributionPort, twoOriginsPort, tlsDistributionPort, tlsTwoOriginsPort, tlsHabitPort] = ports as [number, number, number, number, number];
  const plain = { AiBaseUrl: stack.url, ChatStreamUrl: stack.url, ApiUrl: stack.url };
  const secure = { AiBaseUrl: tls.url, ChatStreamUrl: tls.url, ApiUrl: tls.url };
  const ruoyiSite = (port: number, added: string) => ruoyiServerBlock({ port, htmlDir, backendUrl: ruoyi.url, added });
  const tlsServer = (port: number, added: string) => `server {\n    listen 127.0.0.1:${port};\n${added}\n}`;
  const servers = [
    await ruoyiSite(
      distributionPort,
      [
        pointBlockAt(guideNginxBlock('distribution'), plain),
        habitBlock('/habit-api/ai/', `${stack.url}/ai/`),
        habitBlock('/buffered-api/ai/', `${stack.url}/ai/`, '\n        proxy_ignore_headers X-Accel-Buffering;'),
      ].join('\n'),
    ),
    await ruoyiSite(twoOriginsPort, pointBlockAt(guideNginxBlock('two-origins'), plain)),
    tlsServer(tlsDistributionPort, pointBlockAt(guideNginxBlock('distribution'), secure, tls.caFile)),
    tlsServer(tlsTwoOriginsPort, pointBlockAt(guideNginxBlock('two-origins'), secure, tls.caFile)),
    tlsServer(tlsHabitPort, habitBlock(`${PREFIX}/ai/`, `${tls.url}/ai/`)),
  ];
  nginx = await startNginx(dir, servers.join('\n'), ports);
  const at = (port: number) => `http://127.0.0.1:${port}`;
  Object.assign(site, { distribution: at(distributionPort), 'two-origins': at(twoOriginsPort) });
  Object.assign(tlsSite, { distribution: at(tlsDistributionPort), 'two-origins': at(tlsTwoOriginsPort), habit: at(tlsHabitPort) });
}, 180_000);

beforeEach((ctx) => {
  if (missing) ctx.skip(missing);
});

afterAll(async () => {
  await nginx?.stop();
  await Promise.all([stack?.stop(), model?.close(), ruoyi?.close(), tls?.close()]);
}, 60_000);

/** A request as RuoYi's pages make it: the prefix, the bearer token, JSON bodies. */
const page = (base: string, token: string) => {
  const request = (path: string, init: RequestInit = {}) =>
    fetch(`${base}${PREFIX}${path}`, {
      ...init,
      headers: { 'Content-Type': 'application/json;charset=utf-8', Authorization: `Bearer ${token}`, ...init.headers },
    });
  return {
    request,
    json: async (path: string, init?: RequestInit) => (await (await request(path, init)).json()) as Record<string, any>,
    /** views/chat/index.vue `sendRequest`: fetch + reader, the body it builds. */
    send: (body: { modelId: number; message: string; images?: string[]; sessionId?: string | null }, signal?: AbortSignal) =>
      request('/ai/chat/send', {
        method: 'POST',
        signal,
        body: JSON.stringify({ images: [], sessionId: null, stream: true, isReasoning: true, ...body }),
      }),
  };
};

/** The last user message the model server received, as JSON text. */
const lastUserContent = () => {
  const { body } = model.stats.requests.at(-1)!;
  const messages = body.messages as { role: string; content: unknown }[];
  return JSON.stringify(messages.filter((m) => m.role === 'user').at(-1)!.content);
};

describe("RuoYi's site with the guide's block", () => {
  it("still serves RuoYi's pages and API from RuoYi, and /ai/ from this stack", async () => {
    expect(await (await fetch(`${site.distribution}/`)).text()).toBe('<title>RuoYi pages</title>');
    const info = await page(site.distribution, stack.userToken).json('/getInfo');
    expect(info.msg).toBe('RuoYi backend stand-in');
    expect(ruoyi.received.at(-1)).toMatchObject({ method: 'GET', path: '/getInfo', authorization: `Bearer ${stack.userToken}` });
    const count = ruoyi.received.length;
    expect((await page(site.distribution, stack.userToken).json('/ai/chat/config')).code).toBe(200);
    expect(ruoyi.received).toHaveLength(count);
  });

  it('lets the admin edit a model on the model page (PUT with a body)', async () => {
    const admin = page(site.distribution, stack.adminToken);
    const current = (await admin.json(`/ai/model/${stack.modelId}`)).data;
    const saved = await admin.json('/ai/model', {
      method: 'PUT',
      body: JSON.stringify({ ...current, supportReasoning: 'Y', supportImages: 'Y', remark: 'edited through nginx' }),
    });
    expect(saved).toMatchObject({ code: 200, msg: '修改成功' });
    expect((await admin.json(`/ai/model/${stack.modelId}`)).data).toMatchObject({ supportImages: 'Y', remark: 'edited through nginx' });
  });

  it.each(VARIANTS)('lists models for the model page (query string) and the chat page (%s)', async (variant) => {
    const list = await page(site[variant], stack.adminToken).json('/ai/model/list?pageNum=1&pageSize=10&modelName=Local');
    expect(list).toMatchObject({ code: 200, total: 1, pageNum: 1, pageSize: 10 });
    expect(list.rows[0].modelId).toBe(stack.modelId);
    const all = await page(site[variant], stack.userToken).json('/ai/model/all');
    expect(all.data.map((m: { modelId: number }) => m.modelId)).toEqual([stack.modelId]);
  });

  it.each(VARIANTS)('streams a chat line by line: the first content long before the end (%s)', async (variant) => {
    const res = await page(site[variant], stack.userToken).send({ modelId: stack.modelId, message: 'Hello [[interval=100 chunks=20]]' });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const { lines, reads } = await readStream(res);
    const types = lines.map((l) => l.type);
    expect(types.slice(0, 2)).toEqual(['meta', 'run_info']);
    expect(types.filter((t) => t === 'reasoning').length).toBeGreaterThan(0);
    expect(types.filter((t) => t === 'content')).toHaveLength(20);
    expect(types.at(-1)).toBe('metrics');
    // 20 content lines written 100 ms apart reach the client in reads of their own, not in one at the end.
    expect(readOf(reads, 'content')).toBeLessThan(readOf(reads, 'metrics'));
    expect(reads.filter((r) => r.includes('content')).length).toBeGreaterThanOrEqual(10);
  });

  it("streams through RuoYi's habit too (no proxy_buffering off): the stream's own X-Accel-Buffering", async () => {
    const body = { modelId: stack.modelId, message: 'Habit [[interval=100 chunks=20]]' };
    const streamed = await readStream(await fetch(`${site.distribution}/habit-api/ai/chat/send`, sendInit(body)));
    expect(streamed.reads.filter((r) => r.includes('content')).length).toBeGreaterThanOrEqual(10);
    // The control: with the header ignored, nginx holds the reply back and sends it at the end.
    const held = await readStream(await fetch(`${site.distribution}/buffered-api/ai/chat/send`, sendInit(body)));
    expect(held.lines.filter((l) => l.type === 'content')).toHaveLength(20);
    expect(readOf(held.reads, 'content')).toBe(readOf(held.reads, 'metrics'));
  });

  it.each(VARIANTS)('stops a reply: cancel, then abort, and the partial reply is kept (%s)', async (variant) => {
    const user = page(site[variant], stack.userToken);
    const abort = new AbortController();
    const res = await user.send({ modelId: stack.modelId, message: 'Stop me [[interval=50 chunks=400]]' }, abort.signal);
    const { lines } = await readStream(res, (seen) => seen.filter((l) => l.type === 'content').length >= 3);
    const sessionId = lines.find((l) => l.type === 'meta')!.session_id as string;
    const runId = lines.find((l) => l.type === 'run_info')!.run_id as string;
    const seen = lines
      .filter((l) => l.type === 'content')
      .map((l) => l.content as string)
      .join('');
    // stopGeneration(): the cancel first, then the connection is dropped.
    expect(await user.json('/ai/chat/cancel', { method: 'POST', body: JSON.stringify({ runId }) })).toMatchObject({ code: 200, msg: '取消成功' });
    abort.abort();

    // The run is stored once it has ended.
    const reply = async () => {
      const detail = await user.json(`/ai/chat/session/${sessionId}`);
      const messages = (detail.data?.messages ?? []) as { role: string; content: string }[];
      return messages.find((m) => m.role === 'assistant')?.content ?? '';
    };
    await expect.poll(reply, { timeout: 20_000 }).not.toBe('');
    const kept = await reply();
    expect(kept.startsWith(seen)).toBe(true);
    expect(kept.split(' ').length).toBeLessThan(400);
  });

  it.each(VARIANTS)('sends an image: upload ticket through nginx, the file to storage, the chat with its key (%s)', async (variant) => {
    const user = page(site[variant], stack.userToken);
    const png = solidPng(4, 4, [200, 30, 30]);
    const ticket = await user.json('/ai/chat/upload', {
      method: 'POST',
      body: JSON.stringify({ fileName: 'dot.png', contentType: 'image/png', size: png.length }),
    });
    expect(ticket.code).toBe(200);
    // The browser posts the file to the storage URL itself (S3 in AWS), not through nginx.
    const form = new FormData();
    for (const [k, v] of Object.entries(ticket.data.fields as Record<string, string>)) form.append(k, v);
    form.append('file', new Blob([png], { type: 'image/png' }), 'dot.png');
    expect((await fetch(ticket.data.uploadUrl, { method: 'POST', body: form })).ok).toBe(true);

    const res = await user.send({ modelId: stack.modelId, message: 'What is this? [[interval=0]]', images: [ticket.data.key] });
    const { lines } = await readStream(res);
    expect(lines.at(-1)!.type).toBe('metrics');
    expect(lastUserContent()).toContain(`data:image/png;base64,${png.toString('base64')}`);
    const detail = await user.json(`/ai/chat/session/${lines[0]!.session_id}`);
    expect(detail.data.messages.find((m: { role: string }) => m.role === 'user').images).toHaveLength(1);
  });
});

const sendInit = (body: object): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${stack.userToken}` },
  body: JSON.stringify({ images: [], sessionId: null, stream: true, isReasoning: true, ...body }),
});

describe("the guide's blocks against an HTTPS origin that answers only for its own name", () => {
  const call = async (base: string) => {
    const from = tls.received.length;
    const user = page(base, 'token-abc');
    const stream = await user.send({ modelId: 7, message: 'hi' });
    expect(stream.status).toBe(200);
    await stream.text();
    const list = await user.request('/ai/model/all?x=1');
    expect(list.status).toBe(200);
    await list.text();
    return tls.received.slice(from);
  };

  it.each(VARIANTS)("sends the origin's name as SNI and Host, the token and the body (%s)", async (variant) => {
    const [stream, list] = await call(tlsSite[variant]);
    const host = `localhost:${tls.port}`;
    expect(stream).toMatchObject({ method: 'POST', path: '/ai/chat/send', servername: 'localhost', host, authorization: 'Bearer token-abc' });
    expect(JSON.parse(stream!.body)).toMatchObject({ modelId: 7, message: 'hi' });
    expect(list).toMatchObject({ method: 'GET', path: '/ai/model/all?x=1', servername: 'localhost', host, authorization: 'Bearer token-abc' });
  });

  it("catches RuoYi's habit (Host $host, no proxy_ssl_server_name): no SNI, RuoYi's host name", async () => {
    const [stream] = await call(tlsSite.habit);
    expect(stream!.servername).toBeNull();
    expect(stream!.host).toBe(new URL(tlsSite.habit).hostname);
  });
});
