import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readBody } from '../../../local/http-event.ts';

/**
 * Lambda's Runtime API (version 2018-06-01) for one execution environment, as AWS
 * documents it for custom runtimes: the runtime long-polls `GET …/invocation/next`,
 * answers with `POST …/invocation/{id}/response` (buffered, or streamed when it sends
 * `Lambda-Runtime-Function-Response-Mode: streaming`, errors then in the
 * `Lambda-Runtime-Function-Error-Type`/`-Body` trailers) or `…/invocation/{id}/error`,
 * and reports a failed start with `POST …/runtime/init/error`. Every answer has its
 * Content-Length: the runtime client's native part (curl) crashes on a chunked `next`.
 */

const PREFIX = '/2018-06-01/runtime';
/** Lambda's limits: a buffered response of 6 MB, a streamed one of 20 MB. */
const BUFFERED_LIMIT = 6 * 1024 * 1024;
const STREAMED_LIMIT = 20 * 1024 * 1024;
const ERROR_TYPE = 'lambda-runtime-function-error-type';
const ERROR_BODY = 'lambda-runtime-function-error-body';

export interface FunctionError {
  errorType: string;
  errorMessage?: string;
}

/** The response a streaming invocation writes, chunk by chunk as the runtime posts it. */
export interface StreamedReply {
  kind: 'stream';
  contentType: string;
  onData(listener: (chunk: Buffer) => void): void;
  /** Settles when the runtime ends the stream, with the error its trailers carry, if any. */
  end: Promise<FunctionError | undefined>;
}

export type Reply = { kind: 'buffered'; payload: string } | { kind: 'error'; error: FunctionError } | StreamedReply;

export interface InvocationRequest {
  event: unknown;
  /** The function's timeout: the deadline is set when the runtime takes the invocation. */
  timeoutMs: number;
  functionArn: string;
}

export interface Invocation {
  id: string;
  /** Settles as the runtime answers: a stream as soon as it starts. */
  reply: Promise<Reply>;
  /** Settles when the runtime asks for its next invocation (the environment is free) or the invocation timed out. */
  done: Promise<'released' | 'timed-out'>;
}

interface Pending extends InvocationRequest {
  id: string;
  traceId: string;
  settle(reply: Reply): void;
  /** Set once a streamed reply started: a later failure ends that stream instead. */
  failStream?: (error: FunctionError) => void;
  finish(how: 'released' | 'timed-out'): void;
  timer?: NodeJS.Timeout;
}

const traceId = () => `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replaceAll('-', '').slice(0, 24)};Sampled=0`;

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
};

const decodeErrorBody = (errorType: string, base64: string | undefined): FunctionError => {
  try {
    return { errorType, ...(JSON.parse(Buffer.from(base64 ?? '', 'base64').toString('utf8')) as { errorMessage?: string }) };
  } catch {
    return { errorType };
  }
};

export class RuntimeApi {
  readonly server: Server;
  private queue: Pending[] = [];
  private waiting?: ServerResponse;
  private current?: Pending;
  /** Answered, but the runtime has not asked for more work yet. */
  private answered?: Pending;
  /** Called when the runtime asks for work; without any queued, Lambda freezes it then. */
  onNext: (hasWork: boolean) => void = () => {};
  /** Called before an invocation is handed to a runtime that was idle. */
  onWake: () => void = () => {};
  /** Called when the runtime reports that it could not start. */
  onInitError: (error: FunctionError) => void = () => {};
  /** Called when an invocation passes its deadline before the runtime asked for more work. */
  onTimeout: () => void = () => {};

  constructor() {
    this.server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        if (!res.headersSent) json(res, 500, { errorType: 'ServiceException', errorMessage: String(err) });
      });
    });
  }

  async listen(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }

  /** Queues an invocation. */
  invoke(request: InvocationRequest): Invocation {
    let settle!: (reply: Reply) => void;
    let finish!: (how: 'released' | 'timed-out') => void;
    const reply = new Promise<Reply>((resolve) => (settle = resolve));
    const done = new Promise<'released' | 'timed-out'>((resolve) => (finish = resolve));
    const pending: Pending = { ...request, id: randomUUID(), traceId: traceId(), settle, finish };
    this.queue.push(pending);
    this.dispatch();
    return { id: pending.id, reply, done };
  }

  /** Ends every invocation not answered yet with `error` (the runtime died or never started). */
  failAll(error: FunctionError): void {
    const open = [...this.queue.splice(0), ...[this.current, this.answered].filter((p) => p !== undefined)];
    this.current = this.answered = undefined;
    for (const pending of open) {
      clearTimeout(pending.timer);
      if (pending.failStream) pending.failStream(error);
      else pending.settle({ kind: 'error', error });
      pending.finish('released');
    }
  }

  /** Fails the invocation in progress with Lambda's timeout error. */
  private timeOut(pending: Pending): void {
    const error = { errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${(pending.timeoutMs / 1000).toFixed(2)} seconds` };
    if (pending.failStream) pending.failStream(error);
    else pending.settle({ kind: 'error', error });
    pending.finish('timed-out');
    this.onTimeout();
  }

  private dispatch(): void {
    if (!this.waiting || !this.queue.length) return;
    const next = this.queue.shift()!;
    const res = this.waiting;
    this.waiting = undefined;
    this.current = next;
    this.onWake();
    const deadlineMs = Date.now() + next.timeoutMs;
    next.timer = setTimeout(() => this.timeOut(next), next.timeoutMs);
    const body = JSON.stringify(next.event);
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'lambda-runtime-aws-request-id': next.id,
      'lambda-runtime-deadline-ms': String(deadlineMs),
      'lambda-runtime-invoked-function-arn': next.functionArn,
      'lambda-runtime-trace-id': next.traceId,
    });
    res.end(body);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0]!;
    if (req.method === 'GET' && path === `${PREFIX}/invocation/next`) {
      this.waiting = res;
      if (this.answered) {
        clearTimeout(this.answered.timer);
        this.answered.finish('released');
        this.answered = undefined;
      }
      this.onNext(this.queue.length > 0);
      this.dispatch();
      return;
    }
    if (req.method === 'POST' && path === `${PREFIX}/init/error`) {
      const body = JSON.parse((await readBody(req, BUFFERED_LIMIT)).toString('utf8') || '{}') as { errorMessage?: string };
      this.onInitError({ errorType: String(req.headers[ERROR_TYPE] ?? 'Runtime.Unknown'), errorMessage: body.errorMessage });
      json(res, 202, { status: 'OK' });
      return;
    }
    const match = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(path);
    const pending = this.current;
    if (req.method !== 'POST' || !match) return json(res, 404, { errorType: 'InvalidRequest', errorMessage: 'unknown path' });
    if (!pending || decodeURIComponent(match[1]!) !== pending.id) {
      return json(res, 400, { errorType: 'InvalidRequestID', errorMessage: 'no such invocation in progress' });
    }
    this.current = undefined;
    this.answered = pending;
    if (match[2] === 'error') {
      const body = (await readBody(req, BUFFERED_LIMIT)).toString('utf8');
      const parsed = JSON.parse(body || '{}') as { errorType?: string; errorMessage?: string };
      pending.settle({
        kind: 'error',
        error: { errorType: String(req.headers[ERROR_TYPE] ?? parsed.errorType ?? 'Unhandled'), errorMessage: parsed.errorMessage },
      });
      return json(res, 202, { status: 'OK' });
    }
    if (req.headers['lambda-runtime-function-response-mode'] === 'streaming') return this.stream(pending, req, res);
    const body = await readBody(req, BUFFERED_LIMIT).catch(() => undefined);
    if (!body) {
      pending.settle({ kind: 'error', error: { errorType: 'Function.ResponseSizeTooLarge' } });
      return json(res, 413, { errorType: 'RequestEntityTooLarge', errorMessage: 'response over 6 MB' });
    }
    pending.settle({ kind: 'buffered', payload: body.toString('utf8') });
    json(res, 202, { status: 'OK' });
  }

  /** Hands the chunks on as they arrive; the runtime's request ends with the trailers. */
  private stream(pending: Pending, req: IncomingMessage, res: ServerResponse): void {
    const listeners: ((chunk: Buffer) => void)[] = [];
    // Chunks that came before anyone listened (the first may arrive before the reply is read).
    const early: Buffer[] = [];
    let settleEnd!: (error: FunctionError | undefined) => void;
    let ended = false;
    const end = new Promise<FunctionError | undefined>((resolve) => (settleEnd = resolve));
    const finish = (error: FunctionError | undefined) => {
      if (ended) return;
      ended = true;
      settleEnd(error);
    };
    pending.failStream = (error) => {
      finish(error);
      req.destroy();
    };
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > STREAMED_LIMIT) return pending.failStream!({ errorType: 'Function.ResponseSizeTooLarge' });
      if (ended) return;
      if (!listeners.length) early.push(chunk);
      for (const listener of listeners) listener(chunk);
    });
    req.on('end', () => {
      const errorType = req.trailers[ERROR_TYPE];
      finish(errorType ? decodeErrorBody(errorType, req.trailers[ERROR_BODY]) : undefined);
      json(res, 202, { status: 'OK' });
    });
    req.on('close', () => finish({ errorType: 'Runtime.ExitError', errorMessage: 'the response stream broke off' }));
    pending.settle({
      kind: 'stream',
      contentType: String(req.headers['content-type'] ?? 'application/octet-stream'),
      onData: (listener) => {
        listeners.push(listener);
        for (const chunk of early.splice(0)) listener(chunk);
      },
      end,
    });
  }
}
