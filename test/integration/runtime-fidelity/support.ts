import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { request, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleFunction } from '../../../lib/bundling/function-bundle.ts';
import { createImageStore } from '../../../lambdas/core/images/create-image-store.ts';
import { METRICS_NAMESPACE } from '../../../lambdas/core/observability/metrics.ts';
import { createRuntime, type Runtime } from '../../../lambdas/core/runtime.ts';
import { createHttpFront, type FrontKind } from '../../support/lambda-runtime/http-front.ts';
import { createInvokeApi, type InvokeApi } from '../../support/lambda-runtime/invoke-api.ts';
import { LambdaFunction, type FunctionConfig } from '../../support/lambda-runtime/lambda-function.ts';
import { ricModule } from '../../support/lambda-runtime/ric.ts';
import { startLocalKeptRuns } from '../../../local/kept-runs.ts';
import { startModelServer, type ModelServer } from '../../../local/model-server.ts';
import { createTestEnv } from '../../support/test-runtime.ts';

export interface Deployment {
  stream: LambdaFunction;
  api: LambdaFunction;
  /** The stream function's URL and the HTTP API in front of the api function. */
  streamUrl: string;
  apiUrl: string;
  modelServer: ModelServer;
  /** Lambda's Invoke API, through which the api asks the stream function for a ready instance (warm-ahead). */
  invokeApi: InvokeApi;
  /** The tables the functions use, read directly to check what they stored. */
  runtime: Runtime;
  /** The same stream bundle deployed again with another timeout, behind a URL of its own. */
  streamWithTimeout(timeoutMs: number): Promise<{ fn: LambdaFunction; url: string }>;
  stop(): Promise<void>;
}

export interface DeployOptions {
  /** Function settings beyond the defaults (both functions get them, as the stack does). */
  env?: Record<string, string>;
}

/** The stack's default stream timeout (lib/config.ts) and the api function's (lib/rest-api.ts). */
const STREAM_TIMEOUT_MS = 600_000;
const API_TIMEOUT_MS = 15_000;

const listen = async (server: Server): Promise<string> => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
};

/**
 * Both functions as the stack deploys them: bundled by the stack's own bundling code,
 * run by AWS's runtime client with Lambda's environment and the function's own (as
 * lib/service-function.ts sets it, with local stand-ins for KMS and S3), behind a
 * function URL and an HTTP API, on fresh tables in DynamoDB Local and the offline
 * model server.
 */
export const deploy = async (options: DeployOptions = {}): Promise<Deployment> => {
  const ric = ricModule()!;
  const dir = mkdtempSync(join(tmpdir(), 'runtime-fidelity-'));
  bundleFunction('lambdas/chat-stream/handler.ts', join(dir, 'stream'));
  bundleFunction('lambdas/api/handler.ts', join(dir, 'api'));
  const modelServer = await startModelServer();
  const keptRuns = await startLocalKeptRuns();
  const shared = await createTestEnv({
    ...keptRuns.env,
    MODEL_HOST_ALLOWLIST: '127.0.0.1,localhost',
    CANCEL_POLL_MS: '25',
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    LOG_LEVEL: 'INFO',
    POWERTOOLS_LOGGER_SAMPLE_RATE: '0',
    ...options.env,
  });
  const runtime = await createRuntime(shared, createImageStore);
  const functions: LambdaFunction[] = [];
  const fronts: Server[] = [];
  const invokeFunctions: Record<string, LambdaFunction> = {};
  const invokeApi = createInvokeApi(invokeFunctions);
  fronts.push(invokeApi.server);
  // The api asks the stream function for a ready instance through Lambda's API, as lib/chat-stream.ts (allowWarmAhead) sets it up.
  const warmAhead = { STREAM_FUNCTION_NAME: 'ai-chat-stream-test', LAMBDA_ENDPOINT: await listen(invokeApi.server) };
  const config = (name: 'api' | 'stream', timeoutMs: number): FunctionConfig => ({
    name: `ai-chat-${name}-test`,
    taskRoot: join(dir, name),
    handler: 'index.handler',
    timeoutMs,
    memoryMb: 1024,
    region: 'us-east-1',
    env: { ...shared, POWERTOOLS_SERVICE_NAME: `ai-chat-${name}-test`, ...(name === 'api' ? warmAhead : {}) },
  });
  const front = async (fn: LambdaFunction, kind: FrontKind) => {
    functions.push(fn);
    fronts.push(createHttpFront(fn, kind));
    return { fn, url: await listen(fronts.at(-1)!) };
  };
  const stream = await front(new LambdaFunction(config('stream', STREAM_TIMEOUT_MS), ric), 'function-url');
  const api = await front(new LambdaFunction(config('api', API_TIMEOUT_MS), ric), 'http-api');
  invokeFunctions[stream.fn.config.name] = stream.fn;
  return {
    stream: stream.fn,
    api: api.fn,
    streamUrl: stream.url,
    apiUrl: api.url,
    modelServer,
    invokeApi,
    runtime,
    streamWithTimeout: (timeoutMs) => front(new LambdaFunction(config('stream', timeoutMs), ric), 'function-url'),
    async stop() {
      for (const server of fronts) {
        server.closeAllConnections();
        server.close();
      }
      await Promise.all([...functions.map((fn) => fn.stop()), modelServer.close(), keptRuns.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

/** The model an admin adds through the api function's form: the offline model server's echo model. */
export const offlineModelForm = (baseUrl: string) => ({
  modelCode: 'offline-echo',
  modelName: 'Offline test model',
  provider: 'OpenAI',
  modelSort: 0,
  baseUrl,
  maxTokens: 1024,
  temperature: 0.7,
  supportReasoning: 'Y',
  supportImages: 'N',
  modelType: 'chat',
  status: '0',
});

/** A response read as a client reads it: every chunk as it arrived, and how the body ended. */
export interface ClientResponse {
  status: number;
  headers: IncomingHttpHeaders;
  chunks: string[];
  /** 'complete' when the body ended properly, 'broken' when the connection was cut. */
  ended: Promise<'complete' | 'broken'>;
  /** Resolves once the lines received so far satisfy `predicate`. */
  until(predicate: (lines: Record<string, any>[]) => boolean): Promise<void>;
  lines(): Record<string, any>[];
  /** Hangs up, as a closed browser tab does. */
  hangUp(): void;
}

export interface Call {
  method?: 'GET' | 'POST';
  /** Sent as JSON. */
  body?: unknown;
  authorization?: string;
}

/** One HTTP request to a front, read chunk by chunk. */
export const call = (url: string, { method = 'POST', body, authorization }: Call = {}): Promise<ClientResponse> =>
  new Promise((resolve, reject) => {
    const req = request(url, {
      method,
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: string[] = [];
      const waiters: { predicate: (lines: Record<string, any>[]) => boolean; resolve: () => void }[] = [];
      const lines = () =>
        chunks
          .join('')
          .split('\n')
          .slice(0, -1)
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Record<string, any>);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        chunks.push(chunk);
        for (const waiter of waiters.splice(0)) {
          if (waiter.predicate(lines())) waiter.resolve();
          else waiters.push(waiter);
        }
      });
      const ended = new Promise<'complete' | 'broken'>((done) => {
        res.on('end', () => done(res.complete ? 'complete' : 'broken'));
        res.on('error', () => done('broken'));
        res.on('close', () => done(res.complete ? 'complete' : 'broken'));
      });
      resolve({
        status: res.statusCode!,
        headers: res.headers,
        chunks,
        ended,
        lines,
        until: (predicate) => (predicate(lines()) ? Promise.resolve() : new Promise((done) => waiters.push({ predicate, resolve: done }))),
        hangUp: () => req.destroy(),
      });
    });
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
