import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { CheckedTarget, ResolvedAddress } from './base-url-guard.ts';

/** Connections to model providers are reused across requests of a warm instance. */
const agents = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
};

/** A DNS lookup that can only answer with the addresses the guard checked. */
const pinnedLookup = (addresses: ResolvedAddress[]): LookupFunction =>
  ((_hostname: string, options: { all?: boolean; family?: number | string }, callback: (...args: unknown[]) => void) => {
    const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
    if (!wanted.length) return callback(Object.assign(new Error('no checked address of the requested family'), { code: 'ENOTFOUND' }));
    if (options.all) return callback(null, wanted);
    callback(null, wanted[0]!.address, wanted[0]!.family);
  }) as LookupFunction;

const requestUrl = (input: string | URL | Request): URL => new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);

const bodyBytes = (body: RequestInit['body']): Buffer | undefined => {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  throw new TypeError('unsupported request body for a model call');
};

const NO_BODY_STATUS = new Set([101, 204, 205, 304]);

/** Bytes taken off the socket ahead of the reader; past this the socket is paused until the reader takes them. */
const HELD_BYTES = 64 * 1024;

/**
 * The response body as a web stream that hands out every byte that arrived before it
 * hands out the error that cut it. Bytes are taken off the socket as they come, so a
 * reply read a little later (the run's status item still being written) loses nothing
 * when the provider drops the connection meanwhile; `Readable.toWeb` would drop them
 * with the error. Up to `HELD_BYTES`: beyond, the socket is paused until the reader
 * comes back, so a reader that stops (a client that reads nothing) stops the provider.
 */
const bodyStream = (res: http.IncomingMessage): ReadableStream<Uint8Array> => {
  const chunks: Uint8Array[] = [];
  let held = 0;
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  res.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    held += chunk.length;
    if (held >= HELD_BYTES) res.pause();
    notify();
  });
  res.on('end', () => {
    ended = true;
    notify();
  });
  res.on('error', (err) => {
    failure ??= err;
    notify();
  });
  res.on('close', () => {
    if (!ended) failure ??= Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    notify();
  });
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        while (!chunks.length && !ended && !failure) await new Promise<void>((resolve) => (wake = resolve));
        // Everything that arrived meanwhile in one read: the parse's cost is per read as much as per byte.
        if (chunks.length) {
          controller.enqueue(chunks.length === 1 ? chunks.shift()! : Buffer.concat(chunks.splice(0)));
          held = 0;
          res.resume();
        } else if (ended) controller.close();
        else controller.error(failure);
      },
      cancel() {
        res.destroy();
      },
    },
    { highWaterMark: 0 },
  );
};

const toResponse = (res: http.IncomingMessage): Response => {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  const status = res.statusCode ?? 502;
  const body = NO_BODY_STATUS.has(status) ? null : bodyStream(res);
  if (!body) res.resume();
  return new Response(body, { status, statusText: res.statusMessage, headers });
};

/**
 * The `fetch` the OpenAI client gets for one model: node:http with keep-alive, the
 * connection made only to the checked addresses, only to the checked origin, and
 * never following redirects (a 302 to the metadata service would otherwise slip past
 * the guard).
 */
export const createPinnedFetch = (target: CheckedTarget): typeof fetch => {
  const lookup = target.addresses ? pinnedLookup(target.addresses) : undefined;
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = requestUrl(input);
    if (url.origin !== target.url.origin) throw new TypeError('model call outside the checked base URL');
    const transport = url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const body = bodyBytes(init.body);
    if (body) headers['content-length'] = String(body.length);
    return new Promise<Response>((resolve, reject) => {
      const req = transport.request(url, {
        method: init.method ?? 'GET',
        headers,
        agent: agents[url.protocol as keyof typeof agents],
        ...(lookup ? { lookup } : {}),
        signal: init.signal ?? undefined,
      });
      req.once('response', (res) => resolve(toResponse(res)));
      req.on('error', reject);
      req.end(body);
    });
  }) as typeof fetch;
};
