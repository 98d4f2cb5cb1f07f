import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHttpFront, type FrontKind } from '../../support/lambda-runtime/http-front.ts';
import { LambdaFunction } from '../../support/lambda-runtime/lambda-function.ts';
import { ricMissing, ricModule } from '../../support/lambda-runtime/ric.ts';
import { call } from './support.ts';

/**
 * The harness itself, with small handlers of the kinds Lambda's documentation shows:
 * what reaches the HTTP client when a function fails before or after its first byte,
 * times out, cannot start, or answers in the buffered format.
 */

const missing = ricMissing();
const dir = mkdtempSync(join(tmpdir(), 'harness-test-'));
const servers: Server[] = [];
const functions: LambdaFunction[] = [];

const HANDLERS: Record<string, string> = {
  'fails-after-first-byte': `export const handler = awslambda.streamifyResponse(async (event, stream) => {
    stream = awslambda.HttpResponseStream.from(stream, { statusCode: 201, headers: { 'content-type': 'text/plain' }, cookies: ['a=1', 'b=2'] });
    stream.write('first line\\n');
    await new Promise((resolve) => setTimeout(resolve, 20));
    throw new Error('broke after the first line');
  });`,
  'never-ends': `export const handler = awslambda.streamifyResponse(async (event, stream) => {
    stream.write('started\\n');
    await new Promise(() => {});
  });`,
  'fails-at-start': `throw new Error('cannot start');`,
  buffered: `export const handler = async (event) => event.rawPath === '/fail'
    ? Promise.reject(new Error('refused'))
    : { statusCode: 201, headers: { 'x-seen': event.rawPath }, cookies: ['c=3'], body: Buffer.from('binary').toString('base64'), isBase64Encoded: true };`,
  'counts-invocations': `let count = 0;
    export const handler = async () => ({ statusCode: 200, body: String(++count) });`,
};

const deployFixture = async (name: string, kind: FrontKind, timeoutMs = 30_000) => {
  writeFileSync(join(dir, `${name}.mjs`), HANDLERS[name]!);
  const fn = new LambdaFunction({ name, taskRoot: dir, handler: `${name}.handler`, timeoutMs, memoryMb: 128, region: 'us-east-1', env: {} }, ricModule()!);
  const server = createHttpFront(fn, kind);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  functions.push(fn);
  servers.push(server);
  return { fn, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
};

const processGone = (pid: number) => !existsSync(`/proc/${pid}`) || processState(pid) === 'Z';

/** A process's state letter from /proc: `T` is stopped (frozen). */
const processState = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.charAt(0);

beforeEach((ctx) => {
  if (missing) ctx.skip(missing);
});

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
  await Promise.all(functions.map((fn) => fn.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe('the function URL front', () => {
  it('turns the prelude into status, headers and cookies, and an error after the first byte into a broken body', async () => {
    const { url } = await deployFixture('fails-after-first-byte', 'function-url');
    const res = await call(url, { body: {} });
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe('text/plain');
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(await res.ended).toBe('broken');
    expect(res.chunks.join('')).toBe('first line\n');
  });

  it('cuts a stream at the deadline and kills the environment: the next call is a cold start', async () => {
    const { fn, url } = await deployFixture('never-ends', 'function-url', 1_000);
    const res = await call(url, { body: {} });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(await res.ended).toBe('broken');
    expect(res.chunks.join('')).toBe('started\n');
    expect(fn.environments[0]!.alive).toBe(false);
    await expect.poll(() => fn.environments[0]!.pid && processGone(fn.environments[0]!.pid!)).toBe(true);

    const again = await call(url, { body: {} });
    await vi.waitFor(() => expect(again.chunks).toEqual(['started\n']));
    expect(fn.environments.map((env) => env.invocations)).toEqual([1, 1]);
    again.hangUp();
  });

  it('answers 502 when the function cannot start, with the error the runtime reported', async () => {
    const { fn, url } = await deployFixture('fails-at-start', 'function-url');
    const res = await call(url, { body: {} });
    expect(res.status).toBe(502);
    expect(JSON.parse(res.chunks.join(''))).toEqual({ Message: 'Internal Server Error' });
    await expect.poll(() => fn.environments[0]!.alive).toBe(false);
    expect(fn.environments[0]!.logs).toContain('cannot start');
  });
});

describe('the HTTP API front', () => {
  it('turns a payload 2.0 result into status, headers, cookies and a decoded body; a failure into 500', async () => {
    const { url } = await deployFixture('buffered', 'http-api');
    const ok = await call(`${url}/path`, { method: 'GET' });
    expect(await ok.ended).toBe('complete');
    expect(ok.status).toBe(201);
    expect(ok.headers['x-seen']).toBe('/path');
    expect(ok.headers['set-cookie']).toEqual(['c=3']);
    expect(ok.chunks.join('')).toBe('binary');

    const failed = await call(`${url}/fail`, { method: 'GET' });
    expect(failed.status).toBe(500);
    expect(JSON.parse(failed.chunks.join(''))).toEqual({ message: 'Internal Server Error' });
  });
});

describe('an execution environment', () => {
  it('is frozen between invocations and keeps its module state for the next', async () => {
    const { fn, url } = await deployFixture('counts-invocations', 'http-api');
    const bodies: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await call(url, { method: 'GET' });
      await res.ended;
      bodies.push(res.chunks.join(''));
      // Warm only once the runtime asked for more work; a call before that starts another environment.
      await vi.waitFor(() => expect(fn.environments.filter((env) => env.busy)).toEqual([]));
    }
    expect(bodies).toEqual(['1', '2', '3']);
    const [environment] = fn.environments;
    expect(fn.environments).toHaveLength(1);
    await expect.poll(() => processState(environment!.pid!)).toBe('T');
  });
});
