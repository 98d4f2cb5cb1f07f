import { Writable } from 'node:stream';
import { vi } from 'vitest';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import '../../../local/lambda-stream-shim.ts';
import { type LocalKeptRuns, type LocalKeptRunsOptions, startLocalKeptRuns } from '../../../local/kept-runs.ts';
import { localContext } from '../../../local/lambda-context.ts';
import { startModelServer, type ModelServer } from '../../../local/model-server.ts';
import { nextModelId, insertModel } from '../../../lambdas/core/models/repository.ts';
import type { StoredModel } from '../../../lambdas/core/models/schema.ts';
import type { ImageReader } from '../../../lambdas/core/images/image-store.ts';
import type { Runtime } from '../../../lambdas/core/runtime.ts';
import { httpApiEvent } from '../../support/api-call.ts';
import { offlineModel } from '../../support/offline-model.ts';
import { createTestEnv } from '../../support/test-runtime.ts';

type StreamHandler = (event: APIGatewayProxyEventV2, stream: Writable, context: Context) => Promise<unknown>;

export interface Prelude {
  statusCode?: number;
  headers?: Record<string, string>;
}

export type Line = Record<string, any> & { type: string };

/**
 * What the handler wrote, as the function URL client would read it. `lines` fills as
 * the run writes; `done` settles when the invocation ends (the run stored).
 */
export class Capture extends Writable {
  prelude: Prelude | undefined;
  raw = '';
  lines: Line[] = [];
  private waiters: { predicate: (lines: Line[]) => boolean; resolve: () => void }[] = [];
  /** While paused, the write in hand is not acknowledged: a client that stopped reading. */
  private paused = false;
  private held?: () => void;

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const held = this.held;
    this.held = undefined;
    held?.();
  }

  setPrelude(prelude: Prelude): void {
    this.prelude = prelude;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.raw += chunk.toString('utf8');
    if (this.isStream) {
      const complete = this.raw.slice(0, this.raw.lastIndexOf('\n') + 1);
      this.lines = complete
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Line);
      this.waiters = this.waiters.filter((w) => {
        if (!w.predicate(this.lines)) return true;
        w.resolve();
        return false;
      });
    }
    if (this.paused) this.held = () => callback();
    else callback();
  }

  get isStream(): boolean {
    return this.prelude?.headers?.['content-type']?.startsWith('text/event-stream') ?? false;
  }

  /** The JSON envelope of a refusal. */
  get envelope(): Record<string, any> {
    return JSON.parse(this.raw) as Record<string, any>;
  }

  /** Resolves once the lines written so far satisfy `predicate`. */
  until(predicate: (lines: Line[]) => boolean): Promise<void> {
    if (predicate(this.lines)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ predicate, resolve }));
  }

  ofType(type: string): Line[] {
    return this.lines.filter((l) => l.type === type);
  }

  text(type: 'content' | 'reasoning'): string {
    return this.ofType(type)
      .map((l) => l.content as string)
      .join('');
  }
}

export interface SendOptions {
  authorization?: string;
  path?: string;
  method?: 'POST' | 'GET';
  /** The function's timeout as Lambda would report it. */
  timeoutMs?: number;
}

export interface ChatStreamHarness {
  runtime: Runtime<ImageReader>;
  modelServer: ModelServer;
  /** The kept-runs queue the handler falls back to; no drain runs on it unless a test starts one. */
  keptRuns: LocalKeptRuns;
  /** Invokes the handler with any event, as Lambda would (not only a function URL's). */
  invoke(event: unknown, timeoutMs?: number): { capture: Capture; done: Promise<unknown> };
  /** Starts a call; `done` settles when the invocation ends. */
  open(body: unknown, options?: SendOptions): { capture: Capture; done: Promise<unknown> };
  /** A whole call. */
  send(body: unknown, options?: SendOptions): Promise<Capture>;
  addModel(fields?: Partial<StoredModel> & { apiKey?: string }): Promise<StoredModel>;
}

/**
 * The real handler on fresh tables, the offline model server on loopback (allowed by
 * name, as the local stack allows it), the local kept-runs queue, and a fast cancel
 * poll. One per test file: the handler reads its environment once.
 */
export const setUpChatStream = async (env: Record<string, string> = {}, keptRunsOptions: LocalKeptRunsOptions = {}): Promise<ChatStreamHarness> => {
  const modelServer = await startModelServer();
  const keptRuns = await startLocalKeptRuns(keptRunsOptions);
  Object.assign(process.env, await createTestEnv({ MODEL_HOST_ALLOWLIST: '127.0.0.1,localhost', CANCEL_POLL_MS: '25', ...keptRuns.env, ...env }));
  const [{ handler }, { getStreamRuntime }] = await Promise.all([
    import('../../../lambdas/chat-stream/handler.ts'),
    import('../../../lambdas/chat-stream/runtime.ts'),
  ]);
  const runtime = await getStreamRuntime();
  const stream = handler as unknown as StreamHandler;

  const invoke = (event: unknown, timeoutMs = 15 * 60_000) => {
    const capture = new Capture();
    const done = stream(event as APIGatewayProxyEventV2, capture, localContext('chat-stream', timeoutMs));
    return { capture, done };
  };
  const open = (body: unknown, options: SendOptions = {}) =>
    invoke(httpApiEvent({ method: options.method ?? 'POST', path: options.path ?? '/', authorization: options.authorization, body }), options.timeoutMs);

  return {
    runtime,
    modelServer,
    keptRuns,
    invoke,
    open,
    async send(body, options) {
      const { capture, done } = open(body, options);
      await done;
      return capture;
    },
    async addModel(fields = {}) {
      const { apiKey, ...rest } = fields;
      const modelId = rest.modelId ?? (await nextModelId(runtime));
      const model = offlineModel(modelId, modelServer.url, {
        ...rest,
        ...(apiKey ? { apiKeyCipher: await runtime.cipher.encrypt(apiKey, { modelId }) } : {}),
      });
      await insertModel(runtime, model);
      return model;
    },
  };
};

/** Messages the offline server received, in order, for the n-th chat request (0-based; negative from the end). */
export const upstreamRequest = (server: ModelServer, index = -1) => server.stats.requests.at(index)!;

export interface LogCapture {
  /** Everything written so far. */
  readonly text: string;
  /** The structured (JSON) log entries among it. */
  entries(): Record<string, unknown>[];
  stop(): void;
}

/** Everything the process writes to stdout and stderr (the logs) from now until `stop`. */
export const captureLogs = (): LogCapture => {
  let text = '';
  const spies = [process.stdout, process.stderr].map((stream) => {
    const original = stream.write.bind(stream);
    return vi.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
      text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write);
  });
  return {
    get text() {
      return text;
    },
    entries: () =>
      text
        .split('\n')
        .filter((l) => l.startsWith('{"level"'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    stop: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
};
