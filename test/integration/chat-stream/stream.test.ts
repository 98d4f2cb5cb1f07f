import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { saveChatConfig } from '../../../lambdas/core/configs/repository.ts';
import { MARKDOWN_INSTRUCTION } from '../../../lambdas/core/chat/4-start-call/prompt.ts';
import { imageFilePath } from '../../../lambdas/core/images/local-protocol.ts';
import { readRunState } from '../../../lambdas/core/sessions/run-status.ts';
import { getSessionHeader, loadRuns } from '../../../lambdas/core/sessions/run-store.ts';
import { sessionTitle } from '../../../lambdas/core/sessions/title.ts';
import { bearer, CHAT_USER } from '../../support/tokens.ts';
import { setUpChatStream, upstreamRequest, type ChatStreamHarness } from './support.ts';

let h: ChatStreamHarness;
let auth: string;
const USER = 41;

beforeAll(async () => {
  h = await setUpChatStream();
  auth = await bearer(CHAT_USER(USER));
});

const FAST = '[[interval=0]]';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('a turn streamed end to end', () => {
  it('writes meta, run_info, content and metrics lines in order, as NDJSON', async () => {
    const model = await h.addModel();
    const out = await h.send({ modelId: model.modelId, message: `Hello there ${FAST}`, stream: true, temperature: 1.9 }, { authorization: auth });

    expect(out.prelude?.statusCode).toBe(200);
    expect(out.prelude?.headers).toMatchObject({
      'content-type': expect.stringMatching(/^text\/event-stream/),
      // nginx passes every line on as it comes, whatever its proxy_buffering says.
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
    expect(out.raw.endsWith('\n')).toBe(true);
    const types = out.lines.map((l) => l.type);
    expect(types[0]).toBe('meta');
    expect(types[1]).toBe('run_info');
    expect(types.at(-1)).toBe('metrics');
    expect(new Set(types.slice(2, -1))).toEqual(new Set(['content']));
    expect(Object.keys(out.lines[0]!)).toEqual(['session_id', 'type']);
    expect(Object.keys(out.lines[1]!)).toEqual(['run_id', 'type']);
    expect(out.lines[0]!.session_id).toMatch(UUID);
    expect(out.lines[1]!.run_id).toMatch(UUID);
    expect(out.text('content')).toBe('This is the offline test server, not a real model. You said: Hello there');
    expect(out.ofType('content').length).toBeGreaterThan(5);

    const { metrics } = out.lines.at(-1)!;
    expect(Object.keys(metrics).sort()).toEqual(
      ['cacheReadTokens', 'duration', 'inputTokens', 'outputTokens', 'reasoningTokens', 'timeToFirstToken', 'totalTokens'].sort(),
    );
    expect(metrics.outputTokens).toBe(out.ofType('content').length);
    expect(metrics.totalTokens).toBe(metrics.inputTokens + metrics.outputTokens);
    expect(metrics.duration).toBeGreaterThan(0);
    expect(metrics.timeToFirstToken).toBeGreaterThan(0);
    expect(metrics.timeToFirstToken).toBeLessThanOrEqual(metrics.duration);
  });

  it('stores the run and the session header once the stream ends', async () => {
    const model = await h.addModel({ modelName: 'Stored model', temperature: 0.3 });
    const message = `Persist me ${FAST}`;
    const out = await h.send({ modelId: model.modelId, message }, { authorization: auth });
    const sessionId = out.lines[0]!.session_id as string;
    const runId = out.lines[1]!.run_id as string;

    const [run] = await loadRuns(h.runtime, sessionId);
    expect(run).toMatchObject({
      runId,
      sessionId,
      userId: String(USER),
      status: 'completed',
      userMessage: message,
      content: out.text('content'),
      reasoning: '',
      metrics: out.lines.at(-1)!.metrics,
      model: { id: model.modelId, name: 'Stored model', provider: 'OpenAI', temperature: 0.3 },
    });
    const header = await getSessionHeader(h.runtime, sessionId);
    expect(header).toMatchObject({ userId: String(USER), title: sessionTitle(message), runCount: 1 });
    expect(await readRunState(h.runtime, runId)).toBe('COMPLETED');
  });

  it('has the whole reply at the client before the run is stored, and the closing line after', async () => {
    const model = await h.addModel();
    const seenAtStore: string[] = [];
    let capture: ReturnType<typeof h.open>['capture'] | undefined;
    const release = h.runtime.db.use((next) => async (operation, input) => {
      if (operation === 'TransactWriteItems' && JSON.stringify(input).includes('"type":"run"')) seenAtStore.push(...capture!.lines.map((l) => l.type));
      return next(operation, input);
    });
    try {
      // A user of its own: this file's sends as USER come close to the per-minute limit.
      const call = h.open(
        { modelId: model.modelId, message: `[[interval=0 chunks=40]] Store me after` },
        { authorization: await bearer(CHAT_USER(USER + 100)) },
      );
      capture = call.capture;
      await call.done;
    } finally {
      release();
    }
    const types = capture.lines.map((l) => l.type);
    expect(types.filter((t) => t === 'content')).toHaveLength(40);
    expect(seenAtStore).toEqual(types.slice(0, -1));
    expect(types.at(-1)).toBe('metrics');
  });

  it('stores and sends a message with a lone surrogate as well-formed text', async () => {
    const model = await h.addModel();
    // Its own user: the file's main user is near the per-minute send limit.
    const out = await h.send({ modelId: model.modelId, message: `broken \ud800 pair ${FAST}` }, { authorization: await bearer(CHAT_USER(USER + 1)) });
    const [run] = await loadRuns(h.runtime, out.lines[0]!.session_id as string);
    expect(run!.userMessage).toBe(`broken \ufffd pair ${FAST}`);
    expect(JSON.stringify(upstreamRequest(h.modelServer).body)).toContain('broken \ufffd pair');
  });

  it('relays reasoning exactly, before the content, when asked and supported', async () => {
    const model = await h.addModel({ supportReasoning: 'Y' });
    const out = await h.send({ modelId: model.modelId, message: `Think ${FAST}`, isReasoning: true }, { authorization: auth });
    const types = out.lines.map((l) => l.type);
    const firstContent = types.indexOf('content');
    expect(types.slice(2, firstContent).every((t) => t === 'reasoning')).toBe(true);
    expect(firstContent).toBeGreaterThan(2);
    expect(out.text('reasoning')).toBe('The user wrote a message. I will answer it plainly, as the offline test server always does.');
    expect(upstreamRequest(h.modelServer).body.reasoning_effort).toBe('medium');
    expect(out.lines.at(-1)!.metrics.reasoningTokens).toBe(out.ofType('reasoning').length);

    const [run] = await loadRuns(h.runtime, out.lines[0]!.session_id);
    expect(run!.reasoning).toBe(out.text('reasoning'));
  });

  it('reads reasoning from `reasoning` as well as `reasoning_content`', async () => {
    const model = await h.addModel({ supportReasoning: 'Y' });
    const out = await h.send({ modelId: model.modelId, message: `[[interval=0 reasoning_field=reasoning]] Think`, isReasoning: true }, { authorization: auth });
    expect(out.text('reasoning')).toContain('The user wrote a message.');
  });

  it('keeps reasoning off when the model lacks it, even if the provider sends some', async () => {
    const model = await h.addModel({ supportReasoning: 'N' });
    const out = await h.send({ modelId: model.modelId, message: `[[interval=0 reasoning]] Think`, isReasoning: true }, { authorization: auth });
    expect(upstreamRequest(h.modelServer).body).not.toHaveProperty('reasoning_effort');
    expect(out.ofType('reasoning')).toEqual([]);
    expect(out.ofType('content').length).toBeGreaterThan(0);
    const [run] = await loadRuns(h.runtime, out.lines[0]!.session_id);
    expect(run!.reasoning).toBe('');
  });

  it('keeps reasoning off when the request does not ask for it', async () => {
    const model = await h.addModel({ supportReasoning: 'Y' });
    const out = await h.send({ modelId: model.modelId, message: `Plain ${FAST}`, isReasoning: false }, { authorization: auth });
    expect(upstreamRequest(h.modelServer).body).not.toHaveProperty('reasoning_effort');
    expect(out.ofType('reasoning')).toEqual([]);
  });

  it('relays content exactly, unicode and markup included, over many chunks', async () => {
    const model = await h.addModel();
    const out = await h.send({ modelId: model.modelId, message: `[[interval=0 chunks=600]] 数据 😀 "quotes" \\ <b>` }, { authorization: auth });
    expect(out.ofType('content')).toHaveLength(600);
    const [run] = await loadRuns(h.runtime, out.lines[0]!.session_id);
    expect(run!.content).toBe(out.text('content'));
    expect(out.text('content')).toContain('数据 😀 "quotes" \\ <b>');
  });
});

describe('the prompt sent upstream', () => {
  it('carries the default system prompt with the Markdown instruction, usage requested, the model code', async () => {
    const model = await h.addModel({ modelCode: 'my-model-code', maxTokens: 321 });
    await h.send({ modelId: model.modelId, message: `Hi ${FAST}` }, { authorization: auth });
    const { body } = upstreamRequest(h.modelServer);
    expect(body.model).toBe('my-model-code');
    expect(body.stream).toBe(true);
    expect(body.stream_options).toEqual({ include_usage: true });
    expect(body.max_completion_tokens).toBe(321);
    const [system, user] = body.messages as { role: string; content: unknown }[];
    expect(system!.role).toBe('system');
    expect(system!.content).toContain('You are a helpful AI assistant.');
    expect(system!.content).toContain(MARKDOWN_INSTRUCTION);
    expect(user).toEqual({ role: 'user', content: `Hi ${FAST}` });
  });

  it("uses the user's system prompt and temperature over the model's", async () => {
    const userId = 42;
    const token = await bearer(CHAT_USER(userId));
    await saveChatConfig(h.runtime, String(userId), { systemPrompt: 'You are a pirate.', temperature: 1.3 });
    const model = await h.addModel({ temperature: 0.2 });
    await h.send({ modelId: model.modelId, message: `Ahoy ${FAST}`, temperature: 0.9 }, { authorization: token });
    const { body } = upstreamRequest(h.modelServer);
    expect(body.temperature).toBe(1.3);
    const system = (body.messages as { content: string }[])[0]!.content;
    expect(system.startsWith('You are a pirate.')).toBe(true);
    expect(system).toContain(MARKDOWN_INSTRUCTION);
  });

  it("falls back to the model's temperature, and sends none when neither is set", async () => {
    const withTemp = await h.addModel({ temperature: 0.4 });
    await h.send({ modelId: withTemp.modelId, message: `A ${FAST}` }, { authorization: auth });
    expect(upstreamRequest(h.modelServer).body.temperature).toBe(0.4);

    const without = await h.addModel({ temperature: null });
    await h.send({ modelId: without.modelId, message: `B ${FAST}` }, { authorization: auth });
    expect(upstreamRequest(h.modelServer).body).not.toHaveProperty('temperature');
  });

  it('puts the completed runs of the session before the new message on turn two, in order', async () => {
    const model = await h.addModel();
    const first = await h.send({ modelId: model.modelId, message: `First question ${FAST}` }, { authorization: auth });
    const sessionId = first.lines[0]!.session_id as string;
    const second = await h.send({ modelId: model.modelId, message: `Second question ${FAST}`, sessionId }, { authorization: auth });
    expect(second.lines[0]).toEqual({ session_id: sessionId, type: 'meta' });

    const messages = upstreamRequest(h.modelServer).body.messages as { role: string; content: string }[];
    expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(messages[1]!.content).toBe(`First question ${FAST}`);
    expect(messages[2]!.content).toBe(first.text('content'));
    expect(messages[3]!.content).toBe(`Second question ${FAST}`);

    const runs = await loadRuns(h.runtime, sessionId);
    expect(runs.map((r) => r.userMessage)).toEqual([`First question ${FAST}`, `Second question ${FAST}`]);
    expect((await getSessionHeader(h.runtime, sessionId))!.runCount).toBe(2);
  });

  it('sends only the last numHistoryRuns runs, and none when history is off', async () => {
    const userId = 43;
    const token = await bearer(CHAT_USER(userId));
    await saveChatConfig(h.runtime, String(userId), { numHistoryRuns: 2, systemPrompt: null });
    const model = await h.addModel();
    const first = await h.send({ modelId: model.modelId, message: `q1 ${FAST}` }, { authorization: token });
    const sessionId = first.lines[0]!.session_id as string;
    for (const q of ['q2', 'q3', 'q4']) await h.send({ modelId: model.modelId, message: `${q} ${FAST}`, sessionId }, { authorization: token });
    const users = (upstreamRequest(h.modelServer).body.messages as { role: string; content: string }[]).filter((m) => m.role === 'user').map((m) => m.content);
    expect(users).toEqual([`q2 ${FAST}`, `q3 ${FAST}`, `q4 ${FAST}`]);

    await saveChatConfig(h.runtime, String(userId), { addHistoryToContext: '1', systemPrompt: null });
    await h.send({ modelId: model.modelId, message: `q5 ${FAST}`, sessionId }, { authorization: token });
    expect((upstreamRequest(h.modelServer).body.messages as unknown[]).length).toBe(2);
  });
});

describe('images', () => {
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
  const store = (key: string) => {
    const path = imageFilePath(process.env.LOCAL_IMAGE_DIR!, key)!;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, png);
  };

  it("sends the caller's own images when vision is on and the model reads images; ignores foreign keys", async () => {
    const mine = `uploads/${USER}/a1b2c3.png`;
    const theirs = 'uploads/99/d4e5f6.png';
    store(mine);
    store(theirs);
    const model = await h.addModel({ supportImages: 'Y' });
    const out = await h.send({ modelId: model.modelId, message: `Look ${FAST}`, images: [mine, theirs, mine] }, { authorization: auth });
    expect(out.lines.at(-1)!.type).toBe('metrics');
    const user = (upstreamRequest(h.modelServer).body.messages as { content: unknown }[]).at(-1)!;
    expect(user.content).toEqual([
      { type: 'text', text: `Look ${FAST}` },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}` } },
    ]);
    const [run] = await loadRuns(h.runtime, out.lines[0]!.session_id);
    expect(run!.images).toEqual([mine]);
  });

  it('sends no image when the model does not read images, or the user turned vision off', async () => {
    const key = `uploads/${USER}/f00d.png`;
    store(key);
    const textOnly = await h.addModel({ supportImages: 'N' });
    await h.send({ modelId: textOnly.modelId, message: `Look ${FAST}`, images: [key] }, { authorization: auth });
    expect((upstreamRequest(h.modelServer).body.messages as { content: unknown }[]).at(-1)!.content).toBe(`Look ${FAST}`);

    const userId = 44;
    await saveChatConfig(h.runtime, String(userId), { visionEnabled: '1', systemPrompt: null });
    const vision = await h.addModel({ supportImages: 'Y' });
    const ownKey = `uploads/${userId}/beef.png`;
    store(ownKey);
    await h.send({ modelId: vision.modelId, message: `Look ${FAST}`, images: [ownKey] }, { authorization: await bearer(CHAT_USER(userId)) });
    expect((upstreamRequest(h.modelServer).body.messages as { content: unknown }[]).at(-1)!.content).toBe(`Look ${FAST}`);
  });

  it('leaves out an image that no longer exists instead of failing the turn', async () => {
    const model = await h.addModel({ supportImages: 'Y' });
    const out = await h.send({ modelId: model.modelId, message: `Look ${FAST}`, images: [`uploads/${USER}/gone.png`] }, { authorization: auth });
    expect(out.lines.at(-1)!.type).toBe('metrics');
    expect((upstreamRequest(h.modelServer).body.messages as { content: unknown }[]).at(-1)!.content).toBe(`Look ${FAST}`);
  });
});

describe('providers and keys', () => {
  it('decrypts the stored key and sends it upstream as the bearer token', async () => {
    const model = await h.addModel({ apiKey: 'sk-test-upstream-key-123' });
    await h.send({ modelId: model.modelId, message: `Key ${FAST}` }, { authorization: auth });
    expect(upstreamRequest(h.modelServer).authorization).toBe('Bearer sk-test-upstream-key-123');
  });

  it('reaches an Ollama model through the /v1 root under its host', async () => {
    const model = await h.addModel({ provider: 'Ollama', baseUrl: h.modelServer.url.replace(/\/v1$/, '') });
    const out = await h.send({ modelId: model.modelId, message: `Llama ${FAST}` }, { authorization: auth });
    expect(out.lines.at(-1)!.type).toBe('metrics');
    expect(upstreamRequest(h.modelServer).path).toBe('/v1/chat/completions');
    expect(upstreamRequest(h.modelServer).body.max_tokens).toBeUndefined();
  });

  it('streams an OpenAIResponses model through the Responses API, reasoning and usage included', async () => {
    const model = await h.addModel({ provider: 'OpenAIResponses', supportReasoning: 'Y', maxTokens: 99 });
    const out = await h.send({ modelId: model.modelId, message: `Respond ${FAST}`, isReasoning: true }, { authorization: auth });
    const { path, body } = upstreamRequest(h.modelServer);
    expect(path).toBe('/v1/responses');
    expect(body.reasoning).toEqual({ effort: 'medium', summary: 'auto' });
    expect(body.max_output_tokens).toBe(99);
    expect(body.instructions).toContain(MARKDOWN_INSTRUCTION);
    expect(out.text('reasoning')).toContain('The user wrote a message.');
    expect(out.text('content')).toBe(`This is the offline test server, not a real model. You said: Respond`);
    const { metrics } = out.lines.at(-1)!;
    expect(metrics.outputTokens).toBe(out.ofType('content').length + out.ofType('reasoning').length);
    expect(metrics.reasoningTokens).toBe(out.ofType('reasoning').length);
  });

  it('also answers on /ai/chat/send', async () => {
    const model = await h.addModel();
    const out = await h.send({ modelId: model.modelId, message: `Path ${FAST}` }, { authorization: auth, path: '/ai/chat/send' });
    expect(out.lines.at(-1)!.type).toBe('metrics');
  });
});

describe('the local server', () => {
  it('serves the same stream and refusals over HTTP, with the same headers, flushed line by line', async () => {
    const { createLocalServer } = await import('../../../local/server.ts');
    const { handler } = await import('../../../lambdas/chat-stream/handler.ts');
    const server = createLocalServer({
      apiHandler: async () => ({ statusCode: 404 }),
      streamHandler: handler as never,
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    try {
      const model = await h.addModel();
      const refused = await fetch(`http://127.0.0.1:${port}/ai/chat/send`, { method: 'POST', body: '{}' });
      expect(((await refused.json()) as { code: number }).code).toBe(401);
      expect(refused.headers.get('cache-control')).toBe('no-cache');
      expect(refused.headers.get('x-accel-buffering')).toBe('no');
      const res = await fetch(`http://127.0.0.1:${port}/ai/chat/send`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ modelId: model.modelId, message: '[[interval=25 chunks=20]] over http' }),
      });
      expect(res.headers.get('content-type'), await res.clone().text()).toMatch(/^text\/event-stream/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('x-accel-buffering')).toBe('no');
      const reader = res.body!.getReader();
      let reads = 0;
      let text = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        reads += 1;
        text += Buffer.from(value).toString('utf8');
      }
      const lines = text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string });
      expect(lines.map((l) => l.type).filter((t) => t === 'content')).toHaveLength(20);
      expect(reads).toBeGreaterThan(5);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });
});
