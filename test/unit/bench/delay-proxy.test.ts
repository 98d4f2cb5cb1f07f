import { once } from 'node:events';
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDelayProxy, type DelayProxy } from '../../../bench/harness/delay-proxy.ts';

/** What the upstream saw of each request. */
interface Seen {
  method?: string;
  url?: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const seen: Seen[] = [];
const upstream = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    seen.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() });
    res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': 'ConditionalCheckFailedException' });
    res.end('{"__type":"ConditionalCheckFailedException"}');
  });
});
let proxy: DelayProxy;

const post = (body: string) =>
  new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = request(
      proxy.endpoint,
      { method: 'POST', headers: { 'x-amz-target': 'DynamoDB_20120810.PutItem', 'content-type': 'application/x-amz-json-1.0' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });

beforeAll(async () => {
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  proxy = await startDelayProxy(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`);
});

afterAll(async () => {
  await proxy.close();
  upstream.close();
});

/** Figure 1 counts DynamoDB rounds by holding every request a fixed time on its way. */
describe('the delay proxy', () => {
  it('passes a request and its answer on unchanged', async () => {
    const answer = await post('{"TableName":"t"}');
    expect(seen.at(-1)).toMatchObject({
      method: 'POST',
      url: '/',
      body: '{"TableName":"t"}',
      headers: { 'x-amz-target': 'DynamoDB_20120810.PutItem', 'content-type': 'application/x-amz-json-1.0' },
    });
    expect(answer).toMatchObject({
      status: 400,
      headers: { 'x-amzn-errortype': 'ConditionalCheckFailedException' },
      body: '{"__type":"ConditionalCheckFailedException"}',
    });
  });

  it('holds every request the delay before passing it on, and no longer once the delay is 0', async () => {
    const before = seen.length;
    proxy.setDelay(400);
    const held = [post('{"n":1}'), post('{"n":2}')];
    await sleep(200);
    expect(seen.length).toBe(before);
    await Promise.all(held);
    expect(seen.slice(before).map((s) => s.body)).toEqual(expect.arrayContaining(['{"n":1}', '{"n":2}']));
    proxy.setDelay(0);
    await post('{"n":3}');
    expect(seen.at(-1)!.body).toBe('{"n":3}');
  });
});
