import { request } from 'node:http';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { roundsBefore, traceWire } from '../../../bench/harness/wire-rounds.ts';

/** Figure 1 reads the DynamoDB rounds a model request waited for off the wire. */
describe('rounds read off the wire', () => {
  const call = (start: number, end?: number) => ({ host: 'db', start, end });

  it('counts calls in flight together as one round, and a call sent after another ended as the next', () => {
    expect(roundsBefore([call(0, 5), call(1, 4), call(2, 6)], 10)).toBe(1);
    expect(roundsBefore([call(0, 5), call(5, 9)], 10)).toBe(2);
    expect(roundsBefore([call(0, 5), call(1, 3), call(4, 8), call(6, 9)], 10)).toBe(2);
    expect(roundsBefore([call(0, 2), call(3, 4), call(5, 6)], 10)).toBe(3);
  });

  it('leaves out what had not ended when the request went out, and counts none when nothing had', () => {
    expect(roundsBefore([call(0, 5), call(6), call(6, 12)], 10)).toBe(1);
    expect(roundsBefore([call(0, 12)], 10)).toBe(0);
    expect(roundsBefore([], 10)).toBe(0);
  });

  it('traces this process’s HTTP requests with their host, start and end', async () => {
    const server = createServer((_req, res) => res.end('ok')).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const stop = traceWire();
    const get = () => new Promise<void>((done) => request({ host: '127.0.0.1', port, path: '/' }, (res) => res.resume().on('end', done)).end());
    await get();
    await get();
    const { calls, received } = stop();
    await get();
    server.close();
    expect(received.map((r) => r.port)).toEqual([port, port]);
    expect(calls.map((c) => c.host)).toEqual([`127.0.0.1:${port}`, `127.0.0.1:${port}`]);
    expect(calls[0]!.end).toBeLessThanOrEqual(calls[1]!.start);
    expect(roundsBefore(calls, Number.POSITIVE_INFINITY)).toBe(2);
  });
});
