import { once } from 'node:events';
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One DynamoDB API call as it crossed the proxy: the operation and its JSON body. */
export interface DbCall {
  operation: string;
  body: string;
}

/**
 * A DynamoDB error answer: its type (`ThrottlingException`, …) and any fields it carries,
 * with DynamoDB's HTTP status (400 unless given) and JSON body (test/support/dynamodb-errors.ts).
 */
export interface DbError {
  error: string;
  fields?: Record<string, unknown>;
  status?: number;
  /** The full `__type` DynamoDB sends, when not `com.amazonaws.dynamodb.v20120810#<error>`. */
  type?: string;
}

/**
 * What the proxy does with a call: forward it, drop the connection under it before
 * DynamoDB sees it, let DynamoDB apply it and drop the connection before its answer,
 * never answer it, answer an error, or do any of these after a delay (slow storage).
 */
export type DbAction = 'pass' | 'reset' | 'apply then reset' | 'hang' | DbError | { delayMs: number; then: DbAction };

export type DbFault = (call: DbCall) => DbAction;

export interface DbProxy {
  /** Give the handler under test this as DYNAMODB_ENDPOINT. */
  endpoint: string;
  /** Every call that reached the proxy while it was open, in order (none when started with `keepCalls: false`). */
  calls: DbCall[];
  /** Decides per call from now on; `() => 'pass'` restores normal service. */
  setFault(fault: DbFault): void;
  /** Closes the port and every open connection: DynamoDB is unreachable (connection refused). */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  /** When it last listened again after a cut (epoch ms): DynamoDB answering again. */
  readonly restoredAt: number | undefined;
  close(): Promise<void>;
}

const forward = (target: URL, agent: Agent, req: IncomingMessage, body: Buffer, res: ServerResponse, loseAnswer = false) => {
  const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
    if (loseAnswer) {
      answer.resume();
      answer.on('end', () => req.socket.destroy());
      return;
    }
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', () => res.destroy());
  upstream.end(body);
};

/**
 * An HTTP proxy between a handler and DynamoDB Local that can fail on cue: drop the
 * connection under chosen calls (the SDK sees a reset socket, as on a network fault),
 * answer them with a DynamoDB error (throttling, a cancelled transaction), or close its
 * port altogether. The calls it saw show what was retried.
 */
export const startDbProxy = async (targetEndpoint: string, options: { keepCalls?: boolean } = {}): Promise<DbProxy> => {
  const target = new URL(targetEndpoint);
  const agent = new Agent({ keepAlive: true });
  const calls: DbCall[] = [];
  let fault: DbFault = () => 'pass';
  let restoredAt: number | undefined;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const call = {
      operation:
        String(req.headers['x-amz-target'] ?? '')
          .split('.')
          .pop() ?? '',
      body: body.toString('utf8'),
    };
    if (options.keepCalls ?? true) calls.push(call);
    let action = fault(call);
    while (typeof action === 'object' && 'delayMs' in action) {
      const { delayMs, then } = action;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      action = then;
    }
    if (action === 'reset') req.socket.destroy();
    else if (action === 'hang') return;
    else if (action === 'pass' || action === 'apply then reset') forward(target, agent, req, body, res, action === 'apply then reset');
    else {
      res.writeHead(action.status ?? 400, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ __type: action.type ?? `com.amazonaws.dynamodb.v20120810#${action.error}`, message: action.error, ...action.fields }));
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const shut = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    setFault(next) {
      fault = next;
    },
    cut: shut,
    async restore() {
      if (server.listening) return;
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
      restoredAt = Date.now();
    },
    get restoredAt() {
      return restoredAt;
    },
    async close() {
      await shut();
      agent.destroy();
    },
  };
};
