import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256Js } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterEach, describe, expect, it } from 'vitest';
import { createStreamWarmer, WARM_AHEAD_EVENT } from '../../../lambdas/core/warm-ahead.ts';

/**
 * The api's ask for a ready stream instance (lambdas/core/warm-ahead.ts), against a
 * server standing in for Lambda's Invoke API: the request as AWS documents it, signed
 * as the SDK's signer signs it; at most one an interval; and a bounded failure (the api's
 * route turns it into a warning: test/integration/api/warm-ahead.test.ts).
 */
interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server | undefined;

const startLambdaApi = async (answer: (res: ServerResponse) => void) => {
  const received: Received[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      answer(res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
};

const accepted = (res: ServerResponse) => res.writeHead(202).end();

afterEach(() => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session-token' };

describe('warm-ahead: asking Lambda for a ready stream instance', () => {
  it('sends one asynchronous invoke of the named function with the warm-ahead event, signed as the SDK signs it', async () => {
    const lambda = await startLambdaApi(accepted);
    const warmer = createStreamWarmer({
      functionName: 'ai-chat-stream',
      region: 'eu-west-1',
      endpoint: lambda.endpoint,
      everyMs: 60_000,
      credentials: () => credentials,
    });
    await warmer.nudge();
    expect(lambda.received).toHaveLength(1);
    const [req] = lambda.received as [Received];
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/2015-03-31/functions/ai-chat-stream/invocations');
    expect(req.headers['x-amz-invocation-type']).toBe('Event');
    expect(JSON.parse(req.body)).toEqual(WARM_AHEAD_EVENT);
    expect(req.headers['x-amz-security-token']).toBe('session-token');

    const signed = /SignedHeaders=([^,]+),/.exec(String(req.headers.authorization))![1]!.split(';');
    const url = new URL(lambda.endpoint);
    const sdk = await new SignatureV4({ service: 'lambda', region: 'eu-west-1', credentials, sha256: Sha256Js, applyChecksum: false }).sign(
      {
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        port: Number(url.port),
        path: req.url,
        query: {},
        headers: Object.fromEntries(signed.filter((n) => n !== 'x-amz-date' && n !== 'x-amz-security-token').map((n) => [n, String(req.headers[n])])),
        body: req.body,
      },
      { signingDate: new Date(String(req.headers['x-amz-date']).replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z')) },
    );
    expect(req.headers.authorization).toBe(sdk.headers.authorization);
    expect(req.headers.authorization).toContain('/eu-west-1/lambda/aws4_request');
  });

  it('asks at most once an interval, however many pages open', async () => {
    const lambda = await startLambdaApi(accepted);
    let now = 1_000_000;
    const warmer = createStreamWarmer({ functionName: 'f', region: 'us-east-1', endpoint: lambda.endpoint, everyMs: 60_000, now: () => now });
    await Promise.all([warmer.nudge(), warmer.nudge(), warmer.nudge()]);
    now += 59_999;
    await warmer.nudge();
    expect(lambda.received).toHaveLength(1);
    now += 1;
    await warmer.nudge();
    expect(lambda.received).toHaveLength(2);
  });

  it.each([
    ['refuses it', (res: ServerResponse) => res.writeHead(403, { 'x-amzn-errortype': 'AccessDeniedException' }).end('{}'), 'AccessDeniedException'],
    ['answers 200 (not queued)', (res: ServerResponse) => res.writeHead(200).end('{}'), 'HttpStatus200'],
    ['never answers', () => {}, 'NetworkError'],
  ])('fails with what went wrong, within half a second, when Lambda %s; and does not ask again within the interval', async (_, answer, errorName) => {
    const lambda = await startLambdaApi(answer);
    const warmer = createStreamWarmer({ functionName: 'f', region: 'us-east-1', endpoint: lambda.endpoint, everyMs: 60_000 });
    const started = performance.now();
    await expect(warmer.nudge()).rejects.toMatchObject({ name: errorName });
    expect(performance.now() - started).toBeLessThan(2_000);
    await expect(warmer.nudge()).resolves.toBeUndefined();
    expect(lambda.received).toHaveLength(1);
  });
});
