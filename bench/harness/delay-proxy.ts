import { once } from 'node:events';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DelayProxy {
  /** Give the function this as DYNAMODB_ENDPOINT. */
  endpoint: string;
  /** Every request from now on waits this long before it goes on. */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

/**
 * An HTTP proxy that holds every request a fixed time before passing it on, as a network
 * between a function and DynamoDB would: requests sent together wait together, requests
 * sent one after another wait one after another. Before DynamoDB Local, a send's first
 * content then moves by the delay once per round of requests it waited for.
 */
export const startDelayProxy = async (target: string, delayMs = 0): Promise<DelayProxy> => {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  let delay = delayMs;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const forward = () => {
        const out = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        out.on('error', () => res.destroy());
        out.end(Buffer.concat(chunks));
      };
      if (delay > 0) setTimeout(forward, delay);
      else forward();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setDelay(ms) {
      delay = ms;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
};
