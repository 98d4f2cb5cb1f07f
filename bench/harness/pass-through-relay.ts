import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The floor for any service between the page and the provider on this machine: an HTTP
 * server that checks nothing, stores nothing and forwards each chat request to the model
 * server, handing every chunk of the answer back as it comes. Figure 1 times it beside
 * the stack, in the stack's process, so what the stack adds above it is its own work.
 */
export const startPassThroughRelay = async (modelBaseUrl: string): Promise<{ url: string; close(): Promise<void> }> => {
  const upstream = new URL(`${modelBaseUrl}/chat/completions`);
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const forward = http.request(upstream, {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: 'Bearer no-api-key' },
      });
      forward.on('response', (answer) => {
        res.writeHead(answer.statusCode ?? 502, { 'content-type': answer.headers['content-type'] ?? 'text/event-stream' });
        answer.on('data', (chunk: Buffer) => res.write(chunk));
        answer.on('end', () => res.end());
      });
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
