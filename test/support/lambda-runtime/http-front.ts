import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { readBody, toHttpApiEvent } from '../../../local/http-event.ts';
import type { LambdaFunction } from './lambda-function.ts';
import type { Reply, StreamedReply } from './runtime-api.ts';

/** Request payloads over 6 MB never reach the function. */
const MAX_REQUEST_BYTES = 6 * 1024 * 1024;
const INTEGRATION_RESPONSE = 'application/vnd.awslambda.http-integration-response';
const DELIMITER = Buffer.alloc(8);
/** A prelude is status and headers; one this large is a broken response, not a slow one. */
const MAX_PRELUDE_BYTES = 64 * 1024;

interface Prelude {
  statusCode?: number;
  headers?: Record<string, string>;
  cookies?: string[];
}

export type FrontKind = 'function-url' | 'http-api';

const headersOf = ({ headers, cookies }: Prelude, requestId: string): OutgoingHttpHeaders => ({
  ...headers,
  ...(cookies?.length ? { 'set-cookie': cookies } : {}),
  'x-amzn-requestid': requestId,
});

/** The function failed (or timed out) before it answered: the front's own error, as each documents it. */
const functionError = (res: ServerResponse, kind: FrontKind, requestId: string) => {
  const [status, body] = kind === 'function-url' ? [502, { Message: 'Internal Server Error' }] : [500, { message: 'Internal Server Error' }];
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': requestId }).end(JSON.stringify(body));
};

/**
 * A buffered response in the payload 2.0 format: an object with `statusCode` sets status,
 * headers, cookies and body (base64 when `isBase64Encoded`); anything else is sent as a
 * JSON body with status 200.
 */
const sendPayload = (res: ServerResponse, payload: string, requestId: string) => {
  let out: unknown;
  try {
    out = JSON.parse(payload);
  } catch {
    out = undefined;
  }
  if (!out || typeof out !== 'object' || !('statusCode' in out)) {
    res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': requestId }).end(payload);
    return;
  }
  const result = out as Prelude & { body?: string; isBase64Encoded?: boolean };
  res.writeHead(result.statusCode ?? 200, headersOf(result, requestId));
  res.end(result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? ''));
};

/**
 * A streamed response as a function URL in RESPONSE_STREAM mode passes it on: with the
 * integration content type, the JSON prelude up to eight NUL bytes gives status, headers
 * and cookies, and every later byte goes out as it arrives; otherwise everything is the
 * body, with status 200 and the stream's content type. An error after the first byte
 * (the runtime's error trailers, a timeout) breaks the connection: the client sees a
 * body cut short. A client that went away is not the function's concern: it is never
 * told, and what it writes is dropped.
 */
const relayStream = (res: ServerResponse, reply: StreamedReply, requestId: string) => {
  let prelude: Buffer | undefined = reply.contentType === INTEGRATION_RESPONSE ? Buffer.alloc(0) : undefined;
  const open = () => !res.destroyed && !res.writableEnded;
  if (!prelude) res.writeHead(200, { 'content-type': reply.contentType, 'x-amzn-requestid': requestId });
  reply.onData((chunk) => {
    if (prelude) {
      prelude = Buffer.concat([prelude, chunk]);
      const at = prelude.indexOf(DELIMITER);
      if (at < 0) {
        if (prelude.length > MAX_PRELUDE_BYTES) res.destroy();
        return;
      }
      const meta = JSON.parse(prelude.subarray(0, at).toString('utf8')) as Prelude;
      chunk = prelude.subarray(at + DELIMITER.length);
      prelude = undefined;
      if (open()) res.writeHead(meta.statusCode ?? 200, headersOf(meta, requestId));
    }
    if (chunk.length && open()) res.write(chunk);
  });
  void reply.end.then((error) => {
    if (!open()) return;
    if (!res.headersSent) functionError(res, 'function-url', requestId);
    else if (error) res.destroy();
    else res.end();
  });
};

const answer = (res: ServerResponse, reply: Reply, kind: FrontKind, requestId: string) => {
  if (reply.kind === 'stream') relayStream(res, reply, requestId);
  else if (reply.kind === 'buffered') sendPayload(res, reply.payload, requestId);
  else functionError(res, kind, requestId);
};

/**
 * The HTTP side of a function: a function URL or an HTTP API `$default` route. Each turns
 * a request into the payload 2.0 event, invokes the function, and turns its reply back
 * into HTTP as that service documents it.
 */
export const createHttpFront = (fn: LambdaFunction, kind: FrontKind): Server =>
  createServer((req: IncomingMessage, res: ServerResponse) => {
    readBody(req, MAX_REQUEST_BYTES)
      .then(
        async (body) => {
          const invocation = await fn.invoke(toHttpApiEvent(req, body));
          answer(res, await invocation.reply, kind, invocation.id);
        },
        () => res.writeHead(413, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Request Entity Too Large' })),
      )
      .catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
  });
