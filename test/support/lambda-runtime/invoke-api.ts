import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { readBody } from '../../../local/http-event.ts';
import type { LambdaFunction } from './lambda-function.ts';

/** Lambda's limit on an asynchronous invocation's payload. */
const MAX_EVENT_BYTES = 256 * 1024;

export interface InvokeRequest {
  functionName: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface InvokeApi {
  server: Server;
  /** Every request that reached it, in order. */
  received: InvokeRequest[];
  /** Resolves once every queued invocation has been answered by its function. */
  settled(): Promise<void>;
}

const SIGV4 = /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/lambda\/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$/;

const refuse = (res: ServerResponse, status: number, type: string, message: string) =>
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type }).end(JSON.stringify({ Type: 'User', message }));

/**
 * Lambda's Invoke API (`POST /2015-03-31/functions/{FunctionName}/invocations`) in front
 * of local functions, for its asynchronous form as the API reference describes it:
 * `X-Amz-Invocation-Type: Event` is answered 202 with an empty body once the event is
 * queued, and the function runs it afterwards (a cold start when no environment of it is
 * idle). An unknown function is a 404 ResourceNotFoundException; a request without a
 * SigV4 authorization a 403. Synchronous invocations are not served here: nothing of
 * ours makes one.
 */
export const createInvokeApi = (functions: Record<string, LambdaFunction>): InvokeApi => {
  const received: InvokeRequest[] = [];
  const queued: Promise<unknown>[] = [];
  const server = createServer((req, res) => {
    const name = /^\/2015-03-31\/functions\/([^/?]+)\/invocations(?:\?|$)/.exec(req.url ?? '')?.[1];
    readBody(req, MAX_EVENT_BYTES).then(
      (bytes) => {
        const body = bytes.toString('utf8');
        if (req.method !== 'POST' || !name) return refuse(res, 404, 'UnknownOperationException', 'Unknown operation');
        const functionName = decodeURIComponent(name);
        received.push({ functionName, headers: req.headers, body });
        if (!SIGV4.test(req.headers.authorization ?? '')) return refuse(res, 403, 'AccessDeniedException', 'Missing or malformed SigV4 authorization');
        const fn = functions[functionName];
        if (!fn) return refuse(res, 404, 'ResourceNotFoundException', `Function not found: ${functionName}`);
        if (req.headers['x-amz-invocation-type'] !== 'Event')
          return refuse(res, 400, 'InvalidParameterValueException', 'Only Event invocations are served here');
        queued.push(fn.invoke(JSON.parse(body || '{}')).then((invocation) => invocation.reply));
        res.writeHead(202, { 'content-length': '0' }).end();
      },
      () => refuse(res, 413, 'RequestTooLargeException', 'Request must be smaller than 262144 bytes for the InvokeFunction operation'),
    );
  });
  return { server, received, settled: async () => void (await Promise.all(queued)) };
};
