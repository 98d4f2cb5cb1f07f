import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadApiHandler, type ApiCall } from '../../support/api-call.ts';
import { createTestEnv } from '../../support/test-runtime.ts';
import { CHAT_USER, bearer } from '../../support/tokens.ts';
import { captureLogs } from '../chat-stream/support.ts';

/**
 * The chat page's first request and the api's warm-ahead (lambdas/core/warm-ahead.ts)
 * through the real api handler, with a server standing in for Lambda's Invoke API: the
 * page gets its models whatever Lambda answers, and a failed ask is one warning naming
 * the error. The ask's own form is tested in test/unit/core/warm-ahead.test.ts, the whole
 * way under the runtime client in test/integration/runtime-fidelity/warm-ahead.test.ts.
 */
let api: (call: ApiCall) => Promise<{ status?: number; json: Record<string, any> }>;
let lambda: Server;
let answer: (res: ServerResponse) => void = (res) => res.writeHead(202).end();
const asked: string[] = [];

beforeAll(async () => {
  lambda = createServer((req, res) => {
    asked.push(`${req.method} ${req.url} ${req.headers['x-amz-invocation-type']}`);
    req.resume().on('end', () => answer(res));
  });
  lambda.listen(0, '127.0.0.1');
  await once(lambda, 'listening');
  const env = await createTestEnv({
    LOG_LEVEL: 'DEBUG',
    STREAM_FUNCTION_NAME: 'ai-chat-stream',
    LAMBDA_ENDPOINT: `http://127.0.0.1:${(lambda.address() as AddressInfo).port}`,
    // Every page request asks here, so each case sees its own.
    WARM_AHEAD_EVERY_MS: '1',
  });
  api = await loadApiHandler(env);
});

afterAll(() => {
  lambda.closeAllConnections();
  lambda.close();
});

const openChatPage = async () => api({ method: 'GET', path: '/ai/model/all', authorization: await bearer(CHAT_USER(61)) });

describe('warm-ahead from the chat page', () => {
  it('asks Lambda for the stream function once per page request, asynchronously', async () => {
    const page = await openChatPage();
    expect(page.json).toMatchObject({ code: 200, data: [] });
    expect(asked).toEqual(['POST /2015-03-31/functions/ai-chat-stream/invocations Event']);
  });

  it.each([
    ['refuses', (res: ServerResponse) => res.writeHead(429, { 'x-amzn-errortype': 'TooManyRequestsException' }).end('{}'), 'TooManyRequestsException'],
    ['does not answer', () => {}, 'NetworkError'],
  ])('answers the page as ever when Lambda %s, with one warning naming the error', async (_, lambdaAnswer, errorName) => {
    answer = lambdaAnswer;
    const logs = captureLogs();
    try {
      const page = await openChatPage();
      expect(page.json).toMatchObject({ code: 200, data: [] });
    } finally {
      logs.stop();
    }
    const warnings = logs.entries().filter((e) => e.level === 'WARN');
    expect(warnings).toEqual([expect.objectContaining({ message: 'warm-ahead: the stream function was not asked to start an instance', errorName })]);
  });
});
