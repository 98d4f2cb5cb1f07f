import { execFileSync } from 'node:child_process';
import { constants } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';

export interface Received {
  method: string;
  path: string;
  host: string | undefined;
  authorization: string | undefined;
  body: string;
  /** The name the client sent in its TLS handshake (SNI); null when it sent none. */
  servername: string | null;
}

export interface RecordingOrigin {
  url: string;
  port: number;
  received: Received[];
  close(): Promise<void>;
}

type Answer = (req: IncomingMessage, res: ServerResponse) => void;

const record = (received: Received[], answer: Answer) => async (req: IncomingMessage, res: ServerResponse) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const servername = (req.socket as TLSSocket).servername;
  received.push({
    method: req.method ?? '',
    path: req.url ?? '',
    host: req.headers.host,
    authorization: req.headers.authorization,
    body: Buffer.concat(chunks).toString('utf8'),
    servername: typeof servername === 'string' ? servername : null,
  });
  answer(req, res);
};

const listening = async (server: ReturnType<typeof createHttpServer>, scheme: string, host: string): Promise<RecordingOrigin> => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `${scheme}://${host}:${port}`,
    port,
    received: [],
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
};

/** A stand-in for RuoYi's Python backend behind its own `/docker-api/` block: it only records. */
export const startRuoyiBackend = async (): Promise<RecordingOrigin> => {
  const received: Received[] = [];
  const server = createHttpServer(
    record(received, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":200,"msg":"RuoYi backend stand-in"}');
    }),
  );
  return Object.assign(await listening(server, 'http', '127.0.0.1'), { received });
};

/**
 * An HTTPS origin with a self-signed certificate for `localhost` (made with openssl), as
 * an AWS endpoint answers only for its own name: it records the TLS server name and the
 * Host header of every request. `caFile` is the certificate nginx must trust.
 */
export const startTlsOrigin = async (dir: string): Promise<RecordingOrigin & { caFile: string }> => {
  const key = join(dir, 'origin.key');
  const caFile = join(dir, 'origin.crt');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
      '-keyout',
      key,
      '-out',
      caFile,
    ],
    { stdio: 'ignore' },
  );
  const received: Received[] = [];
  const server = createHttpsServer(
    // No session tickets: a resumed session reports no server name, so every handshake is a full one.
    { key: readFileSync(key), cert: readFileSync(caFile), secureOptions: constants.SSL_OP_NO_TICKET },
    record(received, (req, res) => {
      if (req.url?.endsWith('/chat/send')) res.writeHead(200, { 'content-type': 'text/event-stream' }).end('{"type":"meta"}\n');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":200}');
    }),
  );
  return Object.assign(await listening(server as never, 'https', 'localhost'), { received, caFile });
};
