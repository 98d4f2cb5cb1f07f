import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An offline, OpenAI-compatible model server for the local stack, the tests and the
 * bench: `/v1/chat/completions` and `/v1/responses` (streamed as server-sent events,
 * usage included), `/v1/models`. It is not a language model: it streams a fixed,
 * deterministic plain-text reply word by word.
 *
 * Behaviour is chosen per request by a directive in the last user message, so callers
 * sharing one server do not interfere: `[[delay=100 interval=5 chunks=2000 reasoning]]`.
 *
 * | directive | effect |
 * | --- | --- |
 * | `delay=MS` | wait before the first token (headers go out at once) |
 * | `interval=MS` | wait between chunks (default 10) |
 * | `rate=N` | N chunks a second, paced by the clock instead of `interval` (timers oversleep) |
 * | `chunks=N` | reply with exactly N content chunks |
 * | `reasoning` | stream reasoning first even when the request did not ask for it |
 * | `reasoning_field=reasoning` | put reasoning in `reasoning` instead of `reasoning_content` |
 * | `fail_after=N` | drop the connection after N content chunks |
 * | `error_after=N` | send an error event after N content chunks |
 * | `stall_after=N` | go silent after N content chunks, connection left open |
 * | `malformed_after=N` | send an event whose data is not JSON after N content chunks, then end |
 * | `status=CODE` | answer with that HTTP error instead of a stream |
 * | `endless` | stream content chunks without end, as fast as the client reads them |
 * | `size=N` | with `endless`: N characters per chunk (default 100) |
 * | `endless_line` | start a data line and never end it (no line break, ever) |
 * | `xss` | reply with Markdown and HTML that a page must not execute |
 *
 * With `models`, it serves only those model codes: a request naming any other is answered
 * as OpenAI answers an unknown model, HTTP 404 with `code: model_not_found`.
 */

export interface ReceivedRequest {
  path: string;
  authorization: string | undefined;
  body: Record<string, unknown>;
}

export interface ModelServerStats {
  requests: ReceivedRequest[];
  /** TCP connections currently open. */
  openConnections: number;
  /** Responses the client closed before they finished (a cancelled or abandoned run). */
  aborted: number;
  /** Responses sent to the end. */
  completed: number;
  /** Bytes of streamed responses written so far. */
  bytesSent: number;
  /** Streamed responses now waiting for their client to read (the socket's buffers are full). */
  waitingForDrain: number;
  /** Times a streamed response started waiting for its client. */
  drainWaits: number;
}

export interface ModelServer {
  /** Base URL including `/v1`, as a model's `baseUrl`. */
  url: string;
  stats: ModelServerStats;
  close(): Promise<void>;
}

export interface ModelServerOptions {
  port?: number;
  host?: string;
  /** The model codes served (and listed at `/v1/models`); absent, every code is served. */
  models?: readonly string[];
}

const DEFAULT_INTERVAL_MS = 10;
const REASONING_TEXT = 'The user wrote a message. I will answer it plainly, as the offline test server always does.';
const XSS_REPLY = '**Bold** and `code`. <script>window.__xss = 1</script> <img src=x onerror="window.__xss = 1"> ' + '[link](javascript:window.__xss=1)';

interface Knobs {
  delayMs: number;
  intervalMs: number;
  rate?: number;
  chunks?: number;
  reasoning: boolean;
  reasoningField: 'reasoning' | 'reasoning_content';
  failAfter?: number;
  errorAfter?: number;
  stallAfter?: number;
  malformedAfter?: number;
  status?: number;
  xss: boolean;
  endless: boolean;
  endlessLine: boolean;
  size: number;
}

const DIRECTIVE = /\[\[([^\]]*)\]\]/g;

const parseKnobs = (text: string): Knobs => {
  const values = new Map<string, string>();
  for (const match of text.matchAll(DIRECTIVE)) {
    for (const word of match[1]!.trim().split(/\s+/).filter(Boolean)) {
      const [key, value = ''] = word.split('=');
      values.set(key!, value);
    }
  }
  const int = (key: string) => {
    const raw = values.get(key);
    const n = raw === undefined ? NaN : Number(raw);
    return Number.isInteger(n) && n >= 0 ? n : undefined;
  };
  return {
    delayMs: int('delay') ?? 0,
    intervalMs: int('interval') ?? DEFAULT_INTERVAL_MS,
    rate: int('rate') || undefined,
    chunks: int('chunks'),
    reasoning: values.has('reasoning'),
    reasoningField: values.get('reasoning_field') === 'reasoning' ? 'reasoning' : 'reasoning_content',
    failAfter: int('fail_after'),
    errorAfter: int('error_after'),
    stallAfter: int('stall_after'),
    malformedAfter: int('malformed_after'),
    status: int('status'),
    xss: values.has('xss'),
    endless: values.has('endless'),
    endlessLine: values.has('endless_line'),
    size: int('size') || 100,
  };
};

/** Text of a chat or Responses message content: a string or a list of parts. */
const textOf = (content: unknown): string => {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part: { type?: string; text?: string }) => (part.type === 'text' || part.type === 'input_text' ? (part.text ?? '') : '')).join(' ');
};

interface Turn {
  messages: { role: string; text: string }[];
  lastUser: string;
}

const chatTurn = (body: Record<string, unknown>): Turn => {
  const messages = (Array.isArray(body.messages) ? body.messages : []).map((m: { role?: string; content?: unknown }) => ({
    role: String(m.role),
    text: textOf(m.content),
  }));
  return { messages, lastUser: messages.filter((m) => m.role === 'user').at(-1)?.text ?? '' };
};

const responsesTurn = (body: Record<string, unknown>): Turn => {
  const input = typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : Array.isArray(body.input) ? body.input : [];
  const messages = [
    ...(typeof body.instructions === 'string' ? [{ role: 'system', text: body.instructions }] : []),
    ...input.map((m: { role?: string; content?: unknown }) => ({ role: String(m.role), text: textOf(m.content) })),
  ];
  return { messages, lastUser: messages.filter((m) => m.role === 'user').at(-1)?.text ?? '' };
};

/** Splits text into word chunks that join back to it exactly. */
const words = (text: string): string[] => text.match(/\S+\s*/g) ?? [];

const replyChunks = (lastUser: string, knobs: Knobs): string[] => {
  const said = lastUser.replace(DIRECTIVE, '').trim().slice(0, 200);
  const base = words(knobs.xss ? XSS_REPLY : `This is the offline test server, not a real model. You said: ${said || '(nothing)'}`);
  if (knobs.chunks === undefined) return base;
  return Array.from({ length: knobs.chunks }, (_, i) => {
    const word = base[i % base.length]!;
    return i === knobs.chunks! - 1 ? word.trimEnd() : /\s$/.test(word) ? word : `${word} `;
  });
};

const countWords = (turn: Turn) => turn.messages.reduce((n, m) => n + words(m.text).length, 0);

const sleep = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : undefined);

/**
 * The wait before the next chunk: `interval` after the last one, or with `rate` until
 * the chunk is due by the clock, so a timer that overslept is made up by sending the
 * chunks due meanwhile at once (as a provider's burst arrives in one packet).
 */
const pacer = (knobs: Knobs) => {
  const start = performance.now();
  let sent = 0;
  return () => (knobs.rate ? sleep(start + (++sent * 1000) / knobs.rate - performance.now()) : sleep(knobs.intervalMs));
};

/** The stats of the server a streamed response belongs to. */
const statsOf = new WeakMap<ServerResponse, ModelServerStats>();

/** Writes with backpressure; false once the client is gone. */
const send = async (res: ServerResponse, data: string): Promise<boolean> => {
  if (res.destroyed) return false;
  const stats = statsOf.get(res);
  if (stats) stats.bytesSent += Buffer.byteLength(data);
  if (!res.write(data)) {
    if (stats) {
      stats.waitingForDrain += 1;
      stats.drainWaits += 1;
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
    if (stats) stats.waitingForDrain -= 1;
  }
  return !res.destroyed;
};

const readJson = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
};

const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

/** OpenAI's answer to a model it does not have (HTTP 404, `model_not_found`). */
const sendModelNotFound = (res: ServerResponse, model: unknown) =>
  sendJson(res, 404, {
    error: {
      message: `The model \`${String(model)}\` does not exist or you do not have access to it.`,
      type: 'invalid_request_error',
      param: null,
      code: 'model_not_found',
    },
  });

/** The provider-style error answer; a 401 echoes the key it got, as careless providers do. */
const sendHttpError = (res: ServerResponse, status: number, authorization: string | undefined) => {
  const key = authorization?.replace(/^Bearer /, '') ?? '';
  const message =
    status === 401
      ? `Incorrect API key provided: ${key}.`
      : status === 429
        ? 'Rate limit reached (offline test server).'
        : `Offline test server error ${status}.`;
  sendJson(
    res,
    status,
    { error: { message, type: status === 429 ? 'rate_limit_error' : 'api_error', code: String(status), param: null } },
    {
      // Lets the client's one retry come back at once instead of after its backoff.
      'retry-after-ms': '10',
    },
  );
};

interface Plan {
  reasoning: string[];
  content: string[];
  promptTokens: number;
}

/** Responses the server cut on purpose (`fail_after`): not counted as client aborts. */
const droppedByServer = new WeakSet<ServerResponse>();

/** Plays a plan through `emit`, honouring the timing and failure knobs; false if cut short. */
const play = async (
  res: ServerResponse,
  plan: Plan,
  knobs: Knobs,
  emit: {
    reasoning(text: string): string;
    content(text: string): string;
    error(): string;
  },
): Promise<boolean> => {
  await sleep(knobs.delayMs);
  const pause = pacer(knobs);
  for (const [i, text] of plan.reasoning.entries()) {
    if (i) await pause();
    if (!(await send(res, emit.reasoning(text)))) return false;
  }
  if (knobs.endlessLine) {
    const line = 'x'.repeat(64 * 1024);
    if (!(await send(res, 'data: "'))) return false;
    while (await send(res, line));
    return false;
  }
  if (knobs.endless) {
    const text = `${'x'.repeat(knobs.size - 1)} `;
    while (await send(res, emit.content(text)));
    return false;
  }
  for (const [i, text] of plan.content.entries()) {
    if (i === knobs.failAfter) {
      droppedByServer.add(res);
      // What was written reaches the client first; then the connection drops mid-response.
      await new Promise<void>((resolve) => res.write('', () => resolve()));
      res.destroy();
      return false;
    }
    if (i === knobs.errorAfter) {
      res.end(emit.error());
      return false;
    }
    if (i === knobs.stallAfter) {
      await once(res, 'close');
      return false;
    }
    if (i === knobs.malformedAfter) {
      res.end('data: {"choices":[{"delta":{"content":"cut\n\n');
      return false;
    }
    if (i || plan.reasoning.length) await pause();
    if (!(await send(res, emit.content(text)))) return false;
  }
  return true;
};

const sse = (data: unknown, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;

const streamChat = async (res: ServerResponse, body: Record<string, unknown>, plan: Plan, knobs: Knobs) => {
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const model = String(body.model ?? 'offline');
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    sse({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] });
  if (!(await send(res, chunk({ role: 'assistant', content: '' })))) return false;
  const finished = await play(res, plan, knobs, {
    reasoning: (text) => chunk({ [knobs.reasoningField]: text }),
    content: (text) => chunk({ content: text }),
    error: () => sse({ error: { message: 'Offline test server failed mid-stream.', type: 'server_error', code: 'mid_stream' } }),
  });
  if (!finished) return false;
  let tail = chunk({}, 'stop');
  if ((body.stream_options as { include_usage?: boolean } | undefined)?.include_usage) {
    const completion = plan.content.length + plan.reasoning.length;
    tail += sse({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [],
      usage: {
        prompt_tokens: plan.promptTokens,
        completion_tokens: completion,
        total_tokens: plan.promptTokens + completion,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: plan.reasoning.length },
      },
    });
  }
  res.end(`${tail}data: [DONE]\n\n`);
  return true;
};

const streamResponses = async (res: ServerResponse, body: Record<string, unknown>, plan: Plan, knobs: Knobs) => {
  const id = `resp_${randomUUID().replace(/-/g, '')}`;
  const itemId = `msg_${randomUUID().replace(/-/g, '')}`;
  let sequence = 0;
  const event = (type: string, fields: Record<string, unknown>) => sse({ type, sequence_number: sequence++, ...fields }, type);
  const response = (status: string, extra: Record<string, unknown> = {}) => ({
    id,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    model: String(body.model ?? 'offline'),
    status,
    output: [],
    ...extra,
  });
  if (!(await send(res, event('response.created', { response: response('in_progress') })))) return false;
  const finished = await play(res, plan, knobs, {
    reasoning: (delta) => event('response.reasoning_summary_text.delta', { item_id: itemId, output_index: 0, summary_index: 0, delta }),
    content: (delta) => event('response.output_text.delta', { item_id: itemId, output_index: 0, content_index: 0, delta, logprobs: [] }),
    error: () => event('error', { code: 'server_error', message: 'Offline test server failed mid-stream.', param: null }),
  });
  if (!finished) return false;
  const output = plan.content.length + plan.reasoning.length;
  res.end(
    event('response.completed', {
      response: response('completed', {
        usage: {
          input_tokens: plan.promptTokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: output,
          output_tokens_details: { reasoning_tokens: plan.reasoning.length },
          total_tokens: plan.promptTokens + output,
        },
      }),
    }),
  );
  return true;
};

const ROUTES = {
  '/v1/chat/completions': { turn: chatTurn, stream: streamChat, wantsReasoning: (b: Record<string, unknown>) => !!b.reasoning_effort },
  '/v1/responses': {
    turn: responsesTurn,
    stream: streamResponses,
    wantsReasoning: (b: Record<string, unknown>) => !!(b.reasoning as { effort?: string } | undefined)?.effort,
  },
} as const;

const fullReply = (res: ServerResponse, body: Record<string, unknown>, plan: Plan) => {
  const completion = plan.content.length;
  sendJson(res, 200, {
    id: `chatcmpl-${randomUUID()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: String(body.model ?? 'offline'),
    choices: [{ index: 0, message: { role: 'assistant', content: plan.content.join('') }, finish_reason: 'stop' }],
    usage: { prompt_tokens: plan.promptTokens, completion_tokens: completion, total_tokens: plan.promptTokens + completion },
  });
};

export const startModelServer = async (options: ModelServerOptions = {}): Promise<ModelServer> => {
  const stats: ModelServerStats = { requests: [], openConnections: 0, aborted: 0, completed: 0, bytesSent: 0, waitingForDrain: 0, drainWaits: 0 };

  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://offline').pathname.replace(/\/+$/, '');
    try {
      if (req.method === 'GET' && path === '/v1/models') {
        const ids = options.models ?? ['offline-echo'];
        sendJson(res, 200, { object: 'list', data: ids.map((id) => ({ id, object: 'model', created: 0, owned_by: 'offline-test-server' })) });
        return;
      }
      const route = req.method === 'POST' ? ROUTES[path as keyof typeof ROUTES] : undefined;
      if (!route) {
        sendJson(res, 404, { error: { message: 'Not found on the offline test server.', type: 'invalid_request_error' } });
        return;
      }
      const body = await readJson(req);
      stats.requests.push({ path, authorization: req.headers.authorization, body });
      if (options.models && !options.models.includes(String(body.model))) {
        sendModelNotFound(res, body.model);
        return;
      }
      const turn = route.turn(body);
      const knobs = parseKnobs(turn.lastUser);
      if (knobs.status) {
        sendHttpError(res, knobs.status, req.headers.authorization);
        return;
      }
      const plan: Plan = {
        reasoning: knobs.reasoning || route.wantsReasoning(body) ? words(REASONING_TEXT) : [],
        content: replyChunks(turn.lastUser, knobs),
        promptTokens: countWords(turn),
      };
      if (!body.stream) {
        fullReply(res, body, plan);
        stats.completed += 1;
        return;
      }
      res.on('close', () => {
        if (!res.writableFinished && !droppedByServer.has(res)) stats.aborted += 1;
      });
      statsOf.set(res, stats);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      res.flushHeaders();
      if (await route.stream(res, body, plan, knobs)) stats.completed += 1;
    } catch {
      if (!res.headersSent) sendJson(res, 400, { error: { message: 'Bad request body.', type: 'invalid_request_error' } });
      else res.destroy();
    }
  });
  server.on('connection', (socket) => {
    stats.openConnections += 1;
    socket.once('close', () => {
      stats.openConnections -= 1;
    });
  });

  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}/v1`,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};
