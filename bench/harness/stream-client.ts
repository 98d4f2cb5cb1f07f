import http from 'node:http';
import { chatBody } from './direct-client.ts';

/**
 * The bench's own reader of the chat stream: node:http and a line splitter, no JSON
 * parse of the token lines (their type is the fixed suffix the stream writes), so the
 * client adds as little as possible to what it measures.
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

export interface StreamTimes {
  /** hrtime when the request was sent; every other mark is ms after it. */
  sentAt: bigint;
  status: number;
  metaMs?: number;
  runInfoMs?: number;
  firstContentMs?: number;
  lastContentMs?: number;
  endMs?: number;
  /** hrtime the response ended (compares with marks from other processes). */
  endedAt?: bigint;
  sessionId?: string;
  runId?: string;
  contentLines: number;
  completed: boolean;
  error?: string;
}

export interface StreamCall {
  baseUrl: string;
  token: string;
  body: Record<string, unknown>;
  /** Called once per complete line, after the marks are taken. */
  onLine?: (type: string, times: StreamTimes) => void;
  /** Stop reading at the first line of this type until `until` settles: a client that reads nothing meanwhile. */
  pauseAt?: { type: string; until: Promise<void> };
}

const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;

const CONTENT_SUFFIX = '"type":"content"}';

/**
 * Hands each `\n`-ended line of a response to `line` as it arrives (a chunk may end
 * mid-line); the returned function gives what came after the last one.
 */
const readLines = (res: http.IncomingMessage, line: (text: string) => void): (() => string) => {
  res.setEncoding('utf8');
  let pending = '';
  res.on('data', (chunk: string) => {
    pending += chunk;
    let at = pending.indexOf('\n');
    while (at >= 0) {
      line(pending.slice(0, at));
      pending = pending.slice(at + 1);
      at = pending.indexOf('\n');
    }
  });
  return () => pending;
};

export const sendChat = (call: StreamCall): Promise<StreamTimes> =>
  new Promise((resolve, reject) => {
    const payload = JSON.stringify(call.body);
    const times: StreamTimes = { sentAt: process.hrtime.bigint(), status: 0, contentLines: 0, completed: false };
    const req = http.request(`${call.baseUrl}/ai/chat/send`, {
      method: 'POST',
      agent,
      headers: {
        authorization: `Bearer ${call.token}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
      },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      times.status = res.statusCode ?? 0;
      const line = (text: string) => {
        if (text.endsWith(CONTENT_SUFFIX)) {
          times.lastContentMs = ms(times.sentAt);
          times.firstContentMs ??= times.lastContentMs;
          times.contentLines += 1;
          call.onLine?.('content', times);
          return;
        }
        const parsed = JSON.parse(text) as { type?: string; session_id?: string; run_id?: string; error?: string };
        if (parsed.type === 'meta') {
          times.metaMs = ms(times.sentAt);
          times.sessionId = parsed.session_id;
        } else if (parsed.type === 'run_info') {
          times.runInfoMs = ms(times.sentAt);
          times.runId = parsed.run_id;
        } else if (parsed.type === 'metrics') {
          times.completed = true;
        } else if (parsed.type === 'error') {
          times.error = parsed.error;
        } else if (!parsed.type) {
          times.error = `not a stream: ${text.slice(0, 200)}`;
        }
        call.onLine?.(parsed.type ?? 'envelope', times);
        if (call.pauseAt && parsed.type === call.pauseAt.type) {
          res.pause();
          void call.pauseAt.until.then(() => res.resume());
        }
      };
      const rest = readLines(res, line);
      res.on('end', () => {
        times.endedAt = process.hrtime.bigint();
        times.endMs = ms(times.sentAt);
        if (rest().trim()) line(rest());
        resolve(times);
      });
      res.on('error', reject);
    });
    req.end(payload);
  });

export interface JsonAnswer {
  status: number;
  body: { code?: number; msg?: string; data?: unknown };
  /** hrtime the whole answer was read. */
  answeredAt: bigint;
}

/** One REST call to the local stack's api routes. */
export const callApi = (baseUrl: string, token: string, method: string, path: string, body?: unknown): Promise<JsonAnswer> =>
  new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(`${baseUrl}${path}`, {
      method,
      agent,
      headers: {
        authorization: `Bearer ${token}`,
        ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
      },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const answeredAt = process.hrtime.bigint();
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as JsonAnswer['body'], answeredAt });
        } catch {
          reject(new Error(`${method} ${path}: not JSON (${res.statusCode}): ${text.slice(0, 200)}`));
        }
      });
      res.on('error', reject);
    });
    req.end(payload);
  });

/**
 * First content through the pass-through relay (pass-through-relay.ts), read like the
 * stack's stream: node:http and a line splitter; a `data:` line is parsed only until
 * the first one with content.
 */
export const relayChat = (relayUrl: string, message: string): Promise<{ firstContentMs?: number }> =>
  new Promise((resolve, reject) => {
    const payload = JSON.stringify(chatBody(message));
    const sentAt = process.hrtime.bigint();
    let firstContentMs: number | undefined;
    const req = http.request(`${relayUrl}/chat/completions`, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      readLines(res, (line) => {
        if (firstContentMs !== undefined || !line.startsWith('data: {')) return;
        const event = JSON.parse(line.slice('data: '.length)) as { choices?: { delta?: { content?: string } }[] };
        if (event.choices?.[0]?.delta?.content) firstContentMs = ms(sentAt);
      });
      res.on('end', () => resolve({ firstContentMs }));
      res.on('error', reject);
    });
    req.end(payload);
  });

export const closeClientSockets = (): void => agent.destroy();
