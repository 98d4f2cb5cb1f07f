import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { readRunState } from '../../../lambdas/core/sessions/run-status.ts';
import { loadRuns } from '../../../lambdas/core/sessions/run-store.ts';
import { ADMIN, bearer, CHAT_USER } from '../../support/tokens.ts';
import { call, deploy, offlineModelForm, type ClientResponse, type Deployment } from './support.ts';
import { RUN_MSG, UPSTREAM_MSG } from '../../../lambdas/core/wire/messages.ts';
import { ricMissing } from '../../support/lambda-runtime/ric.ts';

/**
 * The api and stream bundles the stack deploys, run by AWS's Lambda runtime client
 * (aws-lambda-ric) behind a function URL and an HTTP API of ours (test/support/lambda-runtime/),
 * against DynamoDB Local and the offline model server. Every request goes through the
 * Runtime API as on Lambda: no shim, no in-process handler. The tests run in order on
 * one deployment: the first invocation of each function is its cold start.
 */

const missing = ricMissing();
let d: Deployment;
let user: string;
let modelId: number;

const api = async (path: string, init: { method?: 'GET' | 'POST'; body?: unknown; authorization?: string }) => {
  const res = await call(`${d.apiUrl}${path}`, init);
  expect(await res.ended).toBe('complete');
  return { status: res.status, headers: res.headers, json: JSON.parse(res.chunks.join('')) as Record<string, any> };
};

const chat = (message: string, extra: Record<string, unknown> = {}, url = d.streamUrl) =>
  call(url, { body: { modelId, message, ...extra }, authorization: user });

/** Waits until the function's environments are free again: the runtime asked for its next invocation. */
const idle = (fn: Deployment['stream']) => vi.waitFor(() => expect(fn.environments.filter((env) => env.busy)).toEqual([]), { timeout: 20_000 });

const ofType = (res: ClientResponse, type: string) => res.lines().filter((line) => line.type === type);

const storedRun = async (res: ClientResponse) => {
  const runs = await loadRuns(d.runtime, res.lines()[0]!.session_id as string);
  expect(runs).toHaveLength(1);
  return runs[0]!;
};

beforeAll(async () => {
  if (missing) return;
  d = await deploy();
  user = await bearer(CHAT_USER(71));
  const admin = await bearer(ADMIN);
  // The model is added the way an admin adds it: through the api function.
  expect((await api('/ai/model', { body: offlineModelForm(d.modelServer.url), authorization: admin })).json.code).toBe(200);
  await idle(d.api);
  const list = await api('/ai/model/list?pageSize=100', { method: 'GET', authorization: admin });
  modelId = (list.json.rows as { modelId: number; modelCode: string }[]).find((row) => row.modelCode === 'offline-echo')!.modelId;
}, 180_000);

afterAll(() => d?.stop());

beforeEach((ctx) => {
  if (missing) ctx.skip(missing);
});

describe('the api bundle under the runtime client', () => {
  it('answered a cold start and a warm call from one environment, in the HTTP API format', async () => {
    expect(d.api.environments).toHaveLength(1);
    expect(d.api.environments[0]!.invocations).toBe(2);
    await idle(d.api);
    const res = await api('/ai/model/list', { method: 'GET' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json.code).toBe(401);
  });
});

describe('the stream bundle under the runtime client', () => {
  it('cold-starts once; a warm second invocation reuses the process and its module state', async () => {
    const first = await chat('[[interval=0]] my first question');
    expect(await first.ended).toBe('complete');
    const [environment] = d.stream.environments;
    expect(d.stream.environments).toHaveLength(1);
    expect(environment!.initDurationMs).toBeGreaterThan(0);
    const pid = environment!.pid;

    // A warm start needs a free environment: the runtime takes the next invocation once this one is over.
    await idle(d.stream);
    const sessionId = first.lines()[0]!.session_id as string;
    const second = await chat('[[interval=0]] and a follow-up', { sessionId });
    expect(await second.ended).toBe('complete');
    expect(d.stream.environments).toHaveLength(1);
    expect(environment!.pid).toBe(pid);
    expect(environment!.invocations).toBe(2);
    expect(ofType(second, 'metrics')).toHaveLength(1);
    // The follow-up carried the first turn: the warm process read the session history.
    const messages = d.modelServer.stats.requests.at(-1)!.body.messages as { role: string; content: string }[];
    expect(messages.map((m) => m.content)).toEqual(expect.arrayContaining(['[[interval=0]] my first question']));
    expect((await loadRuns(d.runtime, sessionId)).map((run) => run.status)).toEqual(['completed', 'completed']);
  });

  it('streams line by line: each line in its own chunk, the first before the model is done', async () => {
    const completed = d.modelServer.stats.completed;
    const res = await chat('[[interval=200 chunks=5]] hello');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    await res.until((lines) => lines.some((line) => line.type === 'content'));
    expect(d.modelServer.stats.completed).toBe(completed);

    expect(await res.ended).toBe('complete');
    const body = res.chunks.join('');
    // The prelude and its eight NUL bytes became status and headers, none of them body.
    expect(body).not.toContain('\u0000');
    expect(body).not.toContain('statusCode');
    const contentChunks = res.chunks.filter((chunk) => chunk.includes('"type":"content"'));
    expect(contentChunks.map((chunk) => chunk.split('"type":"content"').length - 1)).toEqual([1, 1, 1, 1, 1]);
    expect(res.lines().map((line) => line.type)).toEqual(['meta', 'run_info', 'content', 'content', 'content', 'content', 'content', 'metrics']);
  });

  it('refuses before streaming with the JSON envelope and its content type', async () => {
    const noToken = await call(d.streamUrl, { body: { modelId, message: 'hi' } });
    expect(noToken.status).toBe(200);
    expect(noToken.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(await noToken.ended).toBe('complete');
    expect(JSON.parse(noToken.chunks.join(''))).toMatchObject({ code: 401 });

    const wrongPath = await call(`${d.streamUrl}/elsewhere`, { body: {}, authorization: user });
    expect(wrongPath.status).toBe(404);
    expect(JSON.parse(wrongPath.chunks.join(''))).toMatchObject({ code: 404 });
  });

  it('a provider failing mid-stream: the partial reply, one error line, a whole response, the run stored as failed', async () => {
    const res = await chat('[[interval=0 chunks=50 fail_after=7]] hi');
    expect(await res.ended).toBe('complete');
    expect(ofType(res, 'content')).toHaveLength(7);
    expect(res.lines().at(-1)).toEqual({ type: 'error', error: UPSTREAM_MSG.interrupted });
    const run = await storedRun(res);
    expect(run).toMatchObject({ status: 'failed', error: UPSTREAM_MSG.interrupted });
    expect(run.content).toBe(
      ofType(res, 'content')
        .map((line) => line.content)
        .join(''),
    );
  });

  it('a cancel through the api function stops the run in the stream function', async () => {
    const aborted = d.modelServer.stats.aborted;
    const res = await chat('[[interval=20 chunks=2000]] go on');
    await res.until((lines) => lines.filter((line) => line.type === 'content').length >= 3);
    const runId = res.lines()[1]!.run_id as string;
    expect((await api('/ai/chat/cancel', { body: { runId }, authorization: user })).json.code).toBe(200);

    expect(await res.ended).toBe('complete');
    expect(ofType(res, 'error')).toEqual([]);
    expect(ofType(res, 'metrics')).toEqual([]);
    const run = await storedRun(res);
    expect(run).toMatchObject({ runId, status: 'cancelled' });
    expect(await readRunState(d.runtime, runId)).toBe('CANCELLED');
    await vi.waitFor(() => expect(d.modelServer.stats.aborted).toBe(aborted + 1), { timeout: 10_000 });
  });

  it('a client that hangs up is not noticed: the run goes on to its end and is stored as completed', async () => {
    const { aborted, completed } = d.modelServer.stats;
    const res = await chat('[[interval=10 chunks=80]] talk on');
    await res.until((lines) => lines.filter((line) => line.type === 'content').length >= 3);
    const sessionId = res.lines()[0]!.session_id as string;
    res.hangUp();
    expect(await res.ended).toBe('broken');

    // Lambda never tells the function that the function URL's client went away (the
    // runtime client has no such signal): the run reads the whole reply and stores it.
    const [run] = await vi.waitFor(
      async () => {
        const runs = await loadRuns(d.runtime, sessionId);
        expect(runs).toHaveLength(1);
        return runs;
      },
      { timeout: 20_000 },
    );
    expect(run).toMatchObject({ status: 'completed' });
    expect(d.modelServer.stats.completed).toBe(completed + 1);
    expect(d.modelServer.stats.aborted).toBe(aborted);
  });

  it('near its deadline the run stops itself within the safety margin and is stored before Lambda would end it', async () => {
    // 1.5 s of the function's time beyond the 10 s the run keeps back.
    const short = await d.streamWithTimeout(11_500);
    const res = await chat('[[interval=0 chunks=50 stall_after=2]] hi', {}, short.url);
    expect(await res.ended).toBe('complete');
    expect(res.lines().at(-1)).toEqual({ type: 'error', error: RUN_MSG.timeLimit });
    expect(await storedRun(res)).toMatchObject({ status: 'failed', error: RUN_MSG.timeLimit });
    // The invocation ended by itself: the environment was not killed, and takes the next call warm.
    const [environment] = short.fn.environments;
    await idle(short.fn);
    expect(environment!.alive).toBe(true);
    const next = await chat('[[interval=0]] again', {}, short.url);
    expect(await next.ended).toBe('complete');
    expect(short.fn.environments).toHaveLength(1);
  });

  it('logs what Lambda logs: the handler keys, never the message text or the token', async () => {
    const logs = d.stream.environments.map((env) => env.logs).join('');
    expect(logs).toContain('"message":"run finished"');
    expect(logs).not.toContain('my first question');
    expect(logs).not.toContain(user.slice(7));
  });
});
