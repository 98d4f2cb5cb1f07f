import { subscribe } from 'node:diagnostics_channel';
import type { ServerResponse } from 'node:http';
import { startModelServer } from '../../local/model-server.ts';

/**
 * The offline model server in a process of its own, as a provider is its own machine:
 * the direct baseline and the stack reach it the same way. It reports, with an hrtime
 * mark, each response the client closed before the end (a cancelled run's upstream).
 */
export type ModelProcessMessage = { type: 'ready'; url: string } | { type: 'aborted'; at: string };

const send = (message: ModelProcessMessage) => process.send!(message);

subscribe('http.server.request.start', (message) => {
  const { response } = message as { response: ServerResponse };
  response.once('close', () => {
    if (!response.writableFinished) send({ type: 'aborted', at: process.hrtime.bigint().toString() });
  });
});

const server = await startModelServer({ host: '127.0.0.1' });
process.on('message', (message: { type?: string }) => {
  if (message.type === 'stop') void server.close().then(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', url: server.url });
