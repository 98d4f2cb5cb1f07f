import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { retry } from '../retry.ts';
import { DynamoDbError, type DynamoDbErrorFields, isTransientAnswer } from './dynamodb-error.ts';
import { signRequest } from './sigv4.ts';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** An AWS service with a JSON 1.0 API, as the wire signs and addresses it. */
export interface JsonService {
  /** The signing name, and the first label of the regional endpoint. */
  name: string;
  /** The `X-Amz-Target` prefix of its operations. */
  target: string;
}

export const DYNAMODB: JsonService = { name: 'dynamodb', target: 'DynamoDB_20120810' };
/** SQS speaks the same JSON protocol: the kept-runs queue is sent to over this wire (kept-runs/kept-run-queue.ts). */
export const SQS: JsonService = { name: 'sqs', target: 'AmazonSQS' };

export interface WireOptions {
  region: string;
  /** A local stand-in's URL (DynamoDB Local, the local queue); absent in AWS, where the region's endpoint is used. */
  endpoint?: string;
  credentials: () => Credentials;
  /** DYNAMODB unless given. */
  service?: JsonService;
}

/**
 * One DynamoDB JSON API call: the operation's name and its (marshalled) request, and the
 * epoch ms past which none of its attempts may run: its time budget (retry.ts).
 */
export type WireCall = (operation: string, request: Record<string, unknown>, deadline: number) => Promise<Record<string, unknown>>;

/** No answer to an attempt within this long (or by the deadline): the connection is dropped and the call tried again. */
const ATTEMPT_TIMEOUT_MS = 5_000;

export const regionEndpoint = (region: string, service = DYNAMODB.name): string =>
  `https://${service}.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;

const errorOf = (status: number, text: string, typeHeader: string | undefined): DynamoDbError => {
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Not DynamoDB's JSON (a proxy's page): the status says what happened.
  }
  const type = String(body.__type ?? typeHeader ?? `HttpStatus${status}`);
  const name = type.slice(type.lastIndexOf('#') + 1).split(':')[0]!;
  const message = String(body.message ?? body.Message ?? `DynamoDB answered ${status}`);
  const fields = body as DynamoDbErrorFields;
  return new DynamoDbError(name, message, status, isTransientAnswer(status, name, fields), fields);
};

/** Blobs travel as base64 in DynamoDB's JSON (`B`, `BS`); on our side they are bytes, as with the SDK. */
function encodeBlobs(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  return raw instanceof Uint8Array ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') : value;
}

const bytesOfBase64 = (text: unknown) => (typeof text === 'string' ? new Uint8Array(Buffer.from(text, 'base64')) : text);

const decodeBlobs = (key: string, value: unknown): unknown =>
  key === 'B' ? bytesOfBase64(value) : key === 'BS' && Array.isArray(value) ? value.map(bytesOfBase64) : value;

/** Only an answer that may hold a blob pays for the reviver. */
const parseAnswer = (text: string): Record<string, unknown> =>
  !text ? {} : (JSON.parse(text, text.includes('"B') ? decodeBlobs : undefined) as Record<string, unknown>);

const networkError = (cause: unknown): DynamoDbError =>
  new DynamoDbError('NetworkError', `DynamoDB call failed: ${(cause as Error).message}`, undefined, true, {}, { cause });

interface Answer {
  status: number;
  text: string;
  typeHeader?: string;
}

/** One attempt, to the URL's path; the whole answer must be in within `timeoutMs`, or the connection is dropped. */
const post = (url: URL, agent: http.Agent, headers: Record<string, string>, body: string, timeoutMs: number): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const transport = url.protocol === 'https:' ? https : http;
    const req = transport.request({ hostname: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: 'POST', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (err) => fail(err));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString('utf8'),
          typeHeader: res.headers['x-amzn-errortype'] as string | undefined,
        });
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${Math.round(timeoutMs)} ms`)), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      reject(networkError(err));
    };
    req.on('error', fail);
    req.end(body);
  });

/** A keep-alive agent for `url`'s protocol: connections are reused across the calls of a warm instance. */
export const keepAliveAgent = (url: URL, options: http.AgentOptions = {}): http.Agent =>
  new (url.protocol === 'https:' ? https.Agent : http.Agent)({ keepAlive: true, ...options });

export interface Signing {
  /** The service's signing name (`dynamodb`, `sqs`, `lambda`). */
  service: string;
  region: string;
  credentials: Credentials;
}

/** One POST of `body` to `url`, SigV4-signed (host and content-length added to `headers`), answered within `timeoutMs`. */
export const signedPost = (url: URL, agent: http.Agent, signing: Signing, headers: Record<string, string>, body: string, timeoutMs: number) => {
  const signed = signRequest(
    { method: 'POST', path: url.pathname, headers: { host: url.host, 'content-length': String(Buffer.byteLength(body)), ...headers }, body },
    signing.credentials,
    signing.region,
    signing.service,
  );
  return post(url, agent, signed, body, timeoutMs);
};

/**
 * DynamoDB's JSON API over node's HTTP, signed with SigV4: what the SDK client does for
 * the calls this service makes, without its protocol machinery (which a cold start would
 * otherwise load and compile). SQS's JSON API is the same protocol, and its one call
 * here (SendMessage) goes over the same wire; its refusals come as DynamoDbError too. Failed attempts worth repeating are repeated until the
 * call's deadline (retry.ts), each bounded by ATTEMPT_TIMEOUT_MS and by that deadline. A
 * transaction gets one idempotency token for its attempts, as the SDK gives it, so a write
 * that landed but whose answer was lost is not applied twice; a new one after DynamoDB
 * cancelled it for a throttle or a conflict, which applied nothing (and whose token
 * DynamoDB need not hold as unused). Past the token's ten minutes, and for a replay by
 * another process, the writes' own conditions keep them single (sessions/final-write.ts).
 */
export const createWire = (options: WireOptions): WireCall => {
  const service = options.service ?? DYNAMODB;
  const url = new URL(options.endpoint ?? regionEndpoint(options.region, service.name));
  const agent = keepAliveAgent(url, { maxSockets: 50 });

  const attempt = async (operation: string, body: string, deadline: number) => {
    const answer = await signedPost(
      url,
      agent,
      { service: service.name, region: options.region, credentials: options.credentials() },
      { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `${service.target}.${operation}` },
      body,
      Math.min(ATTEMPT_TIMEOUT_MS, deadline - Date.now()),
    );
    if (answer.status !== 200) throw errorOf(answer.status, answer.text, answer.typeHeader);
    return parseAnswer(answer.text);
  };

  return (operation, request, deadline) => {
    const tokened = operation === 'TransactWriteItems' && !request.ClientRequestToken;
    const encode = () => JSON.stringify(tokened ? { ...request, ClientRequestToken: randomUUID() } : request, encodeBlobs);
    let body = encode();
    return retry(
      () =>
        attempt(operation, body, deadline).catch((err: unknown) => {
          if (tokened && (err as Error).name === 'TransactionCanceledException') body = encode();
          throw err;
        }),
      { deadline, retryable: (err) => err instanceof DynamoDbError && err.retryable },
    );
  };
};
