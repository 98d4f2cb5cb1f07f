import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';

/**
 * Issue 14, items 4 and 7, against the whole local stack: the server answers only its
 * own host names, and a reply cannot make the page load anything from elsewhere.
 */

let stack: LocalStack;
let port: number;

/** Raw HTTP to the stack with a chosen Host header, as a DNS-rebinding page would send it. */
const withHost = (host: string, path: string, method = 'GET') =>
  new Promise<{ status: number; body: string }>((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { host, authorization: `Bearer ${stack.userToken}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c) => (body += c));
      res.on('end', () => done({ status: res.statusCode!, body }));
    });
    req.on('error', fail).end();
  });

beforeAll(async () => {
  stack = await startLocalStack({ publicUrl: 'http://chat.test.example:8080', env: { LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true' } });
  port = Number(new URL(stack.url).port);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

describe('the local server answers only its own host names', () => {
  it.each(['evil.example', 'evil.example:PORT', 'localhost.evil.example:PORT', '127.0.0.1.nip.io:PORT', '127.0.0.2:PORT'])(
    'refuses Host %j with 421 before routing: no config, no API, no preflight',
    async (template) => {
      const host = template.replace('PORT', String(port));
      for (const [method, path] of [['GET', '/config.json'], ['GET', '/'], ['GET', '/ai/model/all'], ['OPTIONS', '/ai/model/all'], ['POST', '/ai/chat/send']]) {
        const res = await withHost(host, path!, method);
        expect(res.status, `${method} ${path}`).toBe(421);
        expect(res.body).not.toContain(stack.userToken);
      }
    },
  );

  it.each(['127.0.0.1:PORT', 'localhost:PORT', 'LOCALHOST:PORT', '[::1]:PORT', 'chat.test.example:8080'])('answers Host %j', async (template) => {
    const res = await withHost(template.replace('PORT', String(port)), '/config.json');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ token: stack.userToken });
    expect((await withHost(template.replace('PORT', String(port)), '/ai/model/all')).status).toBe(200);
  });

  it('a loopback name on another port is another origin, refused', async () => {
    expect((await withHost(`localhost:${port + 1}`, '/config.json')).status).toBe(421);
  });
});
