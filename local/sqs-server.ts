import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SqsQueue } from './sqs-queue.ts';

/** SQS's largest message body. */
const MAX_MESSAGE_BYTES = 1024 * 1024;
const LOCAL_ACCOUNT = '000000000000';

export interface SqsServer {
  endpoint: string;
  /** The queue's URL, as SendMessage names it. */
  urlOf(queue: SqsQueue): string;
  /** While down, every connection is dropped unanswered: SQS unreachable. */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

const answer = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
  res.end(JSON.stringify(body));
};

const refusal = (res: ServerResponse, type: string, message: string) => answer(res, 400, { __type: `com.amazonaws.sqs#${type}`, message });

const readBody = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

/**
 * SQS's JSON API on loopback for the local stack and the tests, as far as the service
 * calls it: SendMessage (answered with the body's MD5 and a message id, as SQS answers;
 * refused past 1 MiB or for an unknown queue). The queues behind it are local/sqs-queue.ts;
 * Lambda's side of them is local/sqs-event-source.ts.
 */
export const startSqsServer = async (queues: SqsQueue[]): Promise<SqsServer> => {
  const byPath = new Map(queues.map((queue) => [`/${LOCAL_ACCOUNT}/${queue.name}`, queue]));
  let down = false;
  const server = createServer(async (req, res) => {
    if (down) return req.socket.destroy();
    const target = String(req.headers['x-amz-target'] ?? '');
    const text = await readBody(req);
    if (target !== 'AmazonSQS.SendMessage') return refusal(res, 'UnsupportedOperation', `${target} is not served locally`);
    let input: { QueueUrl?: string; MessageBody?: string };
    try {
      input = JSON.parse(text) as typeof input;
    } catch {
      return refusal(res, 'InvalidParameterValue', 'The request body is not JSON.');
    }
    const queue = byPath.get(new URL(input.QueueUrl ?? '', 'http://x').pathname);
    if (!queue) return refusal(res, 'QueueDoesNotExist', 'The specified queue does not exist.');
    const body = input.MessageBody ?? '';
    if (!body) return refusal(res, 'MissingParameter', 'The request must contain the parameter MessageBody.');
    if (Buffer.byteLength(body) > MAX_MESSAGE_BYTES) {
      return refusal(res, 'InvalidParameterValue', `One or more parameters are invalid. Reason: Message must be shorter than ${MAX_MESSAGE_BYTES} bytes.`);
    }
    const messageId = queue.send(body);
    answer(res, 200, { MessageId: messageId, MD5OfMessageBody: createHash('md5').update(body).digest('hex') });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    urlOf: (queue) => `${endpoint}/${LOCAL_ACCOUNT}/${queue.name}`,
    setDown(next) {
      down = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};
