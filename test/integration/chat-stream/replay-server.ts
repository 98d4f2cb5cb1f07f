import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Plays recorded provider streams back over HTTP, as the provider's server would send
 * them: the recorded bytes unchanged, whole or in the pieces a test chose. The model
 * name of a request says which reply it gets, so cases sharing the server do not interfere.
 */

export const FIXTURES = new URL('../../fixtures/providers/', import.meta.url);

/**
 * The `text/event-stream` body a recording stands for (see the fixtures' README): an
 * `.sse` file as it is; a `.chunks.jsonl` file one event per line, Responses events
 * named by their type, a chat stream closed by `[DONE]`.
 */
export const wireBody = (file: string): Buffer => {
  const text = readFileSync(new URL(file, FIXTURES), 'utf8');
  if (file.endsWith('.sse')) return Buffer.from(text, 'utf8');
  const events = text.split('\n').filter(Boolean);
  const responses = events.every((line) => /^\{"type":"(response\.|error")/.test(line));
  const framed = events.map((line) => {
    const type = responses ? (JSON.parse(line) as { type: string }).type : undefined;
    return `${type ? `event: ${type}\n` : ''}data: ${line}\n\n`;
  });
  return Buffer.from(framed.join('') + (responses ? '' : 'data: [DONE]\n\n'), 'utf8');
};

/**
 * The same bytes cut where a reader is most likely to go wrong: inside every multi-byte
 * UTF-8 character, between every CR and LF, just after every `data:` and in the middle
 * of every line.
 */
export const awkwardPieces = (body: Buffer): Buffer[] => {
  const cuts = new Set<number>([1]);
  let lineStart = 0;
  for (let i = 0; i < body.length; i += 1) {
    const byte = body[i]!;
    if (byte >= 0xc0 && i + 1 < body.length) cuts.add(i + 1);
    if (byte === 0x0d && body[i + 1] === 0x0a) cuts.add(i + 1);
    if (byte === 0x0a) {
      if (i - lineStart > 2) cuts.add(lineStart + Math.floor((i - lineStart) / 2));
      lineStart = i + 1;
    }
    if (body.subarray(i, i + 5).toString('latin1') === 'data:') cuts.add(i + 5);
  }
  const points = [...cuts].filter((c) => c > 0 && c < body.length).sort((a, b) => a - b);
  return [0, ...points].map((start, k) => body.subarray(start, points[k] ?? body.length));
};

/** A stream body with its line ends turned into CRLF, as some servers send them. */
export const withCrlf = (body: Buffer): Buffer => Buffer.from(body.toString('utf8').replace(/\n/g, '\r\n'), 'utf8');

export type Reply = { pieces: Buffer[] } | { status: number; json: unknown };

export interface ReplayServer {
  /** Base URL including `/v1`. */
  url: string;
  /** What a request for `model` gets; a function sees the request's body (to echo it, as some providers do). */
  serve(model: string, reply: Reply | ((body: Record<string, unknown>) => Reply)): void;
  /** Pieces written per model, in order: the writes the client had to put back together. */
  written: Map<string, number>;
  close(): Promise<void>;
}

export const startReplayServer = async (): Promise<ReplayServer> => {
  const replies = new Map<string, Reply | ((body: Record<string, unknown>) => Reply)>();
  const written = new Map<string, number>();

  const writeOne = (res: ServerResponse, piece: Buffer) =>
    new Promise<void>((resolve) => {
      res.write(piece, () => setImmediate(resolve));
    });

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    const model = String(body.model);
    const entry = replies.get(model);
    const reply = typeof entry === 'function' ? entry(body) : entry;
    if (!reply) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"no recording"}}');
      return;
    }
    if ('status' in reply) {
      res.writeHead(reply.status, { 'content-type': 'application/json', 'retry-after-ms': '10' }).end(JSON.stringify(reply.json));
      return;
    }
    res.socket?.setNoDelay(true);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    for (const piece of reply.pieces) await writeOne(res, piece);
    written.set(model, (written.get(model) ?? 0) + reply.pieces.length);
    res.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    serve: (model, reply) => void replies.set(model, reply),
    written,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};
