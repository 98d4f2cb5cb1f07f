import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';

/** One outgoing HTTP request of this process: where it went and when (ms on the monotonic clock). */
export interface WireCall {
  /** The `host` header: hostname and port. */
  host: string;
  start: number;
  /** When its answer's last byte arrived; absent while it has not. */
  end?: number;
}

/**
 * How many sequential rounds of `calls` the request that started at `at` waited for:
 * the longest chain of calls, each starting only after the one before it ended, among
 * the calls that had ended by `at`. Calls in flight together count as one round.
 */
export const roundsBefore = (calls: WireCall[], at: number): number => {
  const done = calls.filter((c) => c.end !== undefined && c.end <= at).sort((a, b) => a.start - b.start);
  const depth: number[] = [];
  done.forEach((call, i) => {
    let before = 0;
    for (let j = 0; j < i; j++) if (done[j]!.end! <= call.start) before = Math.max(before, depth[j]!);
    depth.push(before + 1);
  });
  return Math.max(0, ...depth);
};

/** What a trace saw: the requests this process made, and when its servers received requests (by local port). */
export interface WireTrace {
  calls: WireCall[];
  received: { port: number; at: number }[];
}

/**
 * Every HTTP request this process makes (node's `http.client.request.start` channel: the
 * DynamoDB wire and the model client both go through node's http), timed from start to
 * the end of the answer, and every request its servers receive, until the returned
 * function stops the trace and hands them over.
 */
export const traceWire = (): (() => WireTrace) => {
  const calls: WireCall[] = [];
  const received: WireTrace['received'] = [];
  const onReceived = (message: unknown) => {
    const { socket } = message as { socket: Socket };
    received.push({ port: socket.localPort ?? 0, at: performance.now() });
  };
  const onStart = (message: unknown) => {
    const request = (message as { request: ClientRequest }).request;
    const call: WireCall = { host: String(request.getHeader('host') ?? request.host), start: performance.now() };
    calls.push(call);
    request.once('response', (response: IncomingMessage) => {
      response.once('end', () => {
        call.end = performance.now();
      });
    });
  };
  subscribe('http.client.request.start', onStart);
  subscribe('http.server.request.start', onReceived);
  return () => {
    unsubscribe('http.client.request.start', onStart);
    unsubscribe('http.server.request.start', onReceived);
    return { calls, received };
  };
};
