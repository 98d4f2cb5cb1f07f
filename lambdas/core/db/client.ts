import type {
  BatchGetCommandInput,
  BatchGetCommandOutput,
  BatchWriteCommandInput,
  BatchWriteCommandOutput,
  DeleteCommandInput,
  DeleteCommandOutput,
  GetCommandInput,
  GetCommandOutput,
  PutCommandInput,
  PutCommandOutput,
  QueryCommandInput,
  QueryCommandOutput,
  ScanCommandInput,
  ScanCommandOutput,
  TransactWriteCommandInput,
  TransactWriteCommandOutput,
  UpdateCommandInput,
  UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { DynamoDbError } from './dynamodb-error.ts';
import { createWire, type Credentials } from './dynamodb-http.ts';

export interface DbClientOptions {
  /** DynamoDB Local's URL; absent in AWS. */
  endpoint?: string;
  region?: string;
  /** Each call's time budget when the client is not bounded by `until`; DEFAULT_CALL_BUDGET_MS when absent. */
  callBudgetMs?: number;
}

/**
 * How long a call may take, retries included, when its caller gave no deadline: the
 * reads and writes that are nobody's last chance (a status poll, a list). Paths that
 * hold a user's request give their own (`until`), from the invocation's remaining time.
 */
export const DEFAULT_CALL_BUDGET_MS = 10_000;

/** The DynamoDB operations the service uses, by their API names. */
export type Operation = 'GetItem' | 'BatchGetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'Query' | 'Scan' | 'TransactWriteItems' | 'BatchWriteItem';

/** One call as the document client makes it: plain JavaScript values in and out. */
export type Send = (operation: Operation, input: Record<string, unknown>) => Promise<Record<string, unknown>>;

type Out<T> = Omit<T, '$metadata'>;

/**
 * The document client of `@aws-sdk/lib-dynamodb` for the operations the service uses,
 * with the same input and output shapes (its types) and the same marshalling.
 *
 * Left out on purpose (the SDK's client cost ~35 ms of the stream function's cold start;
 * none of this is needed by the calls made here):
 * - every other operation (TransactGet, PartiQL, table management) and the paginators:
 *   `queryAll` in sessions/run-store.ts pages by hand;
 * - credential providers other than the environment (Lambda puts the role's credentials
 *   there) and DynamoDB Local's fixed ones: no profiles, SSO, IMDS or refresh;
 * - endpoint rules beyond `dynamodb.<region>.amazonaws.com(.cn)`: no FIPS, dual-stack,
 *   endpoint discovery or account-based endpoints;
 * - adaptive retry mode, the retry quota and the count of attempts: a call is retried
 *   (full jitter, retry.ts) for as long as its time budget allows (`until`, or
 *   DEFAULT_CALL_BUDGET_MS), no client-side rate limiting;
 * - the CRC32 check of answers (`x-amz-crc32`), HTTP proxies, custom TLS options;
 * - the middleware stack and `$metadata`: `use` wraps calls, which is all tests and the
 *   bench need;
 * - the SDK's exception classes: a refusal is a DynamoDbError whose `name` is
 *   DynamoDB's error type, so tell errors apart by name, never with `instanceof`;
 * - `wrapNumbers` / NumberValue: numbers are plain JavaScript numbers (util-dynamodb
 *   refuses one it cannot represent exactly), and class instances are not converted.
 */
export interface DocumentClient {
  get(input: GetCommandInput): Promise<Out<GetCommandOutput>>;
  batchGet(input: BatchGetCommandInput): Promise<Out<BatchGetCommandOutput>>;
  put(input: PutCommandInput): Promise<Out<PutCommandOutput>>;
  update(input: UpdateCommandInput): Promise<Out<UpdateCommandOutput>>;
  delete(input: DeleteCommandInput): Promise<Out<DeleteCommandOutput>>;
  query(input: QueryCommandInput): Promise<Out<QueryCommandOutput>>;
  scan(input: ScanCommandInput): Promise<Out<ScanCommandOutput>>;
  transactWrite(input: TransactWriteCommandInput): Promise<Out<TransactWriteCommandOutput>>;
  batchWrite(input: BatchWriteCommandInput): Promise<Out<BatchWriteCommandOutput>>;
  /** Wraps every later call; returns what removes the wrapper. Tests hold calls back with it, the bench meters capacity. */
  use(wrap: (next: Send) => Send): () => void;
  /**
   * The same client, each of its calls bounded by `deadline` (epoch ms): no attempt starts,
   * no backoff waits and no attempt waits for its answer past it (see retry.ts).
   */
  until(deadline: number): DocumentClient;
  /** Epoch ms by which a call started now must end: the `until` deadline, or now plus the default budget. */
  deadline(): number;
}

/** Members holding one item's attributes, in requests, answers and error details. */
const ATTRIBUTE_MAPS = new Set(['Key', 'Item', 'ExpressionAttributeValues', 'ExclusiveStartKey', 'LastEvaluatedKey', 'Attributes']);
const MARSHALL_OPTIONS = { removeUndefinedValues: true };

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Members holding a list of items' attributes: a query's items, a batch read's keys. */
const ATTRIBUTE_MAP_LISTS = new Set(['Items', 'Keys']);

/** Applies `convert` to every attribute map in a request or answer, at any depth (transactions, batches). */
const convertMaps = (value: unknown, convert: (map: Record<string, unknown>) => unknown): unknown => {
  if (Array.isArray(value)) return value.map((v) => convertMaps(v, convert));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    if (member === undefined) continue;
    out[key] =
      ATTRIBUTE_MAPS.has(key) && isRecord(member)
        ? convert(member)
        : ATTRIBUTE_MAP_LISTS.has(key) && Array.isArray(member)
          ? member.map((map) => convert(map as Record<string, unknown>))
          : key === 'Responses' && isRecord(member)
            ? // A batch read's items, table by table.
              Object.fromEntries(Object.entries(member).map(([table, list]) => [table, (list as Record<string, unknown>[]).map(convert)]))
            : convertMaps(member, convert);
  }
  return out;
};

const toWire = (input: Record<string, unknown>) => convertMaps(input, (map) => marshall(map, MARSHALL_OPTIONS)) as Record<string, unknown>;

const fromWireMap = (map: Record<string, unknown>) => unmarshall(map as Parameters<typeof unmarshall>[0]);
const fromWire = (output: Record<string, unknown>) => convertMaps(output, fromWireMap) as Record<string, unknown>;

/** Lambda gives the function's role credentials in the environment. */
export const credentialsFromEnv = (env: NodeJS.ProcessEnv = process.env): Credentials => {
  const { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN } = env;
  if (!AWS_ACCESS_KEY_ID || !AWS_SECRET_ACCESS_KEY) throw new Error('configuration: no AWS credentials in the environment');
  return { accessKeyId: AWS_ACCESS_KEY_ID, secretAccessKey: AWS_SECRET_ACCESS_KEY, sessionToken: AWS_SESSION_TOKEN };
};

/** Local stand-ins (DynamoDB Local, the local queue, Lambda's API in tests) take any credentials. */
const LOCAL_CREDENTIALS: Credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** The credentials a call signs with: any for a local stand-in at `endpoint`, the function's own (Lambda's environment) in AWS. */
export const credentialsFor = (endpoint: string | undefined): (() => Credentials) => (endpoint ? () => LOCAL_CREDENTIALS : () => credentialsFromEnv());

/** A refusal's details (the items of a cancelled transaction) come back unmarshalled too. */
const withPlainDetails = (err: unknown): unknown => {
  if (!(err instanceof DynamoDbError)) return err;
  if (err.Item) err.Item = fromWireMap(err.Item);
  if (err.CancellationReasons) err.CancellationReasons = fromWire({ reasons: err.CancellationReasons }).reasons as typeof err.CancellationReasons;
  return err;
};

export const createDocumentClient = (options: DbClientOptions = {}): DocumentClient => {
  const wire = createWire({
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    endpoint: options.endpoint,
    credentials: credentialsFor(options.endpoint),
  });
  const wrappers: ((next: Send) => Send)[] = [];
  const callBudgetMs = options.callBudgetMs ?? DEFAULT_CALL_BUDGET_MS;
  const bounded = (deadline?: number): DocumentClient => {
    const callDeadline = () => deadline ?? Date.now() + callBudgetMs;
    const base: Send = async (operation, input) => {
      try {
        return fromWire(await wire(operation, toWire(input), callDeadline()));
      } catch (err) {
        throw withPlainDetails(err);
      }
    };
    const send: Send = (operation, input) => wrappers.reduce((next, wrap) => wrap(next), base)(operation, input);
    const call =
      <I, O>(operation: Operation) =>
      (input: I) =>
        send(operation, input as Record<string, unknown>) as Promise<O>;
    return {
      get: call('GetItem'),
      batchGet: call('BatchGetItem'),
      put: call('PutItem'),
      update: call('UpdateItem'),
      delete: call('DeleteItem'),
      query: call('Query'),
      scan: call('Scan'),
      transactWrite: call('TransactWriteItems'),
      batchWrite: call('BatchWriteItem'),
      use(wrap) {
        wrappers.push(wrap);
        return () => {
          const at = wrappers.indexOf(wrap);
          if (at >= 0) wrappers.splice(at, 1);
        };
      },
      until: bounded,
      deadline: callDeadline,
    };
  };
  return bounded();
};
