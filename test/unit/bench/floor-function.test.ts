import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startModelServer, type ModelServer } from '../../../local/model-server.ts';

type Handler = (event: { body: string; isBase64Encoded: boolean }, stream: PassThrough) => Promise<void>;

let model: ModelServer;
const handlers = new Map<string, Handler>();
const preludes: unknown[] = [];

/** Plain JavaScript as the harness loads it, and the `openai` one as its bundle's source; each handler typed here. */
const FLOORS = {
  'the floor function': '../../../bench/harness/floor-function/index.mjs',
  'the floor function through openai': '../../../bench/harness/floor-function/through-openai.ts',
};

beforeAll(async () => {
  model = await startModelServer();
  process.env.MODEL_BASE_URL = model.url;
  // The runtime client's globals, as the stream function's tests stand them in: the body goes to a plain stream.
  (globalThis as { awslambda?: unknown }).awslambda = {
    streamifyResponse: (fn: Handler) => fn,
    HttpResponseStream: {
      from: (stream: PassThrough, prelude: unknown) => {
        preludes.push(prelude);
        return stream;
      },
    },
  };
  for (const [name, path] of Object.entries(FLOORS)) handlers.set(name, ((await import(new URL(path, import.meta.url).href)) as { handler: Handler }).handler);
});

afterAll(async () => {
  delete (globalThis as { awslambda?: unknown }).awslambda;
  await model.close();
});

const relay = async (floor: string, message: string, base64 = false) => {
  const out = new PassThrough();
  const text: string[] = [];
  out.on('data', (chunk: Buffer) => text.push(chunk.toString('utf8')));
  const body = JSON.stringify({ modelId: 1, message });
  await handlers.get(floor)!({ body: base64 ? Buffer.from(body).toString('base64') : body, isBase64Encoded: base64 }, out);
  return text
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { type: string; content?: string });
};

describe.each(Object.keys(FLOORS))("figure 10's floors: %s", (floor) => {
  it('relays every delta of the model as a content line, then closes with metrics', async () => {
    const lines = await relay(floor, '[[interval=0 chunks=40]] A long answer.');
    expect(lines.at(-1)).toEqual({ type: 'metrics', metrics: {} });
    const content = lines.slice(0, -1);
    expect(content.every((l) => l.type === 'content')).toBe(true);
    expect(content).toHaveLength(40);
    expect(model.stats.requests.at(-1)!.body).toMatchObject({ stream: true, messages: [{ role: 'user', content: '[[interval=0 chunks=40]] A long answer.' }] });
    expect(preludes.at(-1)).toEqual({ statusCode: 200, headers: { 'content-type': 'text/event-stream' } });
  });

  it('reads a body the function URL sent as base64', async () => {
    const lines = await relay(floor, '[[interval=0]] Hello', true);
    expect(
      lines
        .filter((l) => l.type === 'content')
        .map((l) => l.content)
        .join(''),
    ).not.toBe('');
    expect(model.stats.requests.at(-1)!.body).toMatchObject({ messages: [{ content: '[[interval=0]] Hello' }] });
  });
});
