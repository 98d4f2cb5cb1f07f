import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { readBody, toHttpApiEvent } from './http-event.ts';
import { localContext } from './lambda-context.ts';
import { responseStreamTo } from './lambda-stream-shim.ts';

export type ApiHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
export type StreamHandler = (event: APIGatewayProxyEventV2, stream: Writable, context: Context) => Promise<unknown>;

/** A route the local server answers itself (uploads, static files): true when handled. */
export type LocalRoute = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean> | boolean;

export interface LocalServerOptions {
  apiHandler: ApiHandler;
  streamHandler: StreamHandler;
  /** Local stand-ins for what AWS serves elsewhere (S3 uploads, the web page). */
  localRoutes?: LocalRoute[];
  /** The stream function's timeout, as in the stack. */
  streamTimeoutMs?: number;
  /** Largest request body, as API Gateway and function URLs cap theirs. */
  maxBodyBytes?: number;
}

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET,POST,PUT,DELETE,OPTIONS',
  'access-control-allow-headers': 'authorization,content-type',
  'access-control-max-age': '600',
};

const isStreamRequest = (method: string, path: string) => method === 'POST' && (path === '/' || path === '/ai/chat/send');

/**
 * One node:http server for the local stack: the REST routes become HTTP API events for
 * the real api handler, `POST /` and `POST /ai/chat/send` run the real stream handler.
 */
export const createLocalServer = (options: LocalServerOptions): Server => {
  const streamTimeoutMs = options.streamTimeoutMs ?? 15 * 60_000;
  const maxBodyBytes = options.maxBodyBytes ?? 6 * 1024 * 1024;
  return createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = req.method ?? 'GET';
    try {
      // Local routes first, preflights included: the stack's Host guard is one of them.
      for (const route of options.localRoutes ?? []) {
        if (await route(req, res, url)) return;
      }
      if (method === 'OPTIONS') {
        res.writeHead(204, CORS_HEADERS).end();
        return;
      }
      if (isStreamRequest(method, url.pathname)) {
        const event = toHttpApiEvent(req, await readBody(req, maxBodyBytes));
        await options.streamHandler(event, responseStreamTo(res, CORS_HEADERS), localContext('chat-stream', streamTimeoutMs));
        return;
      }
      if (url.pathname.startsWith('/ai/')) {
        const event = toHttpApiEvent(req, await readBody(req, maxBodyBytes));
        const out = await options.apiHandler(event, localContext('api', 30_000));
        res.writeHead(out.statusCode ?? 200, { ...CORS_HEADERS, ...(out.headers as Record<string, string>) });
        res.end(out.body ?? '');
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('local server error');
      else res.destroy(err as Error);
    }
  });
};
