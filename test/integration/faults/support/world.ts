import { Writable } from 'node:stream';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import '../../../../local/lambda-stream-shim.ts';
import { localContext } from '../../../../local/lambda-context.ts';
import { type LocalKeptRuns, startLocalKeptRuns } from '../../../../local/kept-runs.ts';
import { startModelServer, type ModelServer } from '../../../../local/model-server.ts';
import type { SqsHandler } from '../../../../local/sqs-event-source.ts';
import { insertModel, nextModelId } from '../../../../lambdas/core/models/repository.ts';
import { createDocumentClient } from '../../../../lambdas/core/db/client.ts';
import type { Runtime } from '../../../../lambdas/core/runtime.ts';
import { httpApiEvent } from '../../../support/api-call.ts';
import { type DbProxy, startDbProxy } from '../../../support/db-proxy.ts';
import { offlineModel } from '../../../support/offline-model.ts';
import { createEnvOn } from '../../../support/test-runtime.ts';
import { bearer, CHAT_USER } from '../../../support/tokens.ts';
import type { ChatSpec } from './chats.ts';

export type Line = Record<string, any> & { type: string };

/** What one client saw of one chat, and when. */
export interface Observation {
  spec: ChatSpec;
  startedAt: number;
  /** The session id the request named (a follow-up's or a client-made one). */
  sentSessionId?: string;
  /** A refusal before streaming. */
  envelope?: { code: number; msg: string };
  lines: Line[];
  sessionId?: string;
  runId?: string;
  content: string;
  reasoning: string;
  /** When the last line arrived (the stream ended). */
  endedAt: number;
  stop?: { at: number; answer: { code: number; msg: string } };
}

export interface WorldOptions {
  /** DynamoDB Local, which the handlers reach through the fault proxy. */
  ddbEndpoint: string;
  patienceMs: number;
  /** The stream function's timeout. */
  streamTimeoutMs: number;
  apiTimeoutMs: number;
  drainTimeoutMs?: number;
  visibilityTimeoutMs?: number;
  duplicateChance?: number;
  cancelPollMs?: number;
}

export interface FaultWorld {
  proxy: DbProxy;
  keptRuns: LocalKeptRuns;
  /** The tables, straight to DynamoDB Local (past the proxy). */
  store: Pick<Runtime, 'db' | 'tables'>;
  modelServer: ModelServer;
  /** Sends one chat as the page does, pressing stop when the spec says; never throws. */
  chat(spec: ChatSpec, sessionId: string | undefined): Promise<Observation>;
  /** Past the cold start: the first chat loads the SDKs, the cipher, the runtimes (a schedule measures a warm function). */
  warmUp(): Promise<void>;
  stop(): Promise<void>;
}

type StreamHandler = (event: APIGatewayProxyEventV2, stream: Writable, context: Context) => Promise<unknown>;
type ApiHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * A client's end of the stream: lines parsed as they arrive (each chunk once, whatever
 * the reply's size), and a callback per line.
 */
class Reader extends Writable {
  prelude: { headers?: Record<string, string> } | undefined;
  raw = '';
  lines: Line[] = [];
  private pending = '';
  constructor(private readonly onLine: (line: Line) => void) {
    super();
  }
  setPrelude(prelude: { headers?: Record<string, string> }): void {
    this.prelude = prelude;
  }
  get isStream(): boolean {
    return this.prelude?.headers?.['content-type']?.startsWith('text/event-stream') ?? false;
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const text = chunk.toString('utf8');
    if (this.isStream) this.take(text);
    else this.raw += text;
    callback();
  }

  private take(text: string): void {
    this.pending += text;
    for (let end = this.pending.indexOf('\n'); end >= 0; end = this.pending.indexOf('\n')) {
      const line = JSON.parse(this.pending.slice(0, end)) as Line;
      this.pending = this.pending.slice(end + 1);
      this.lines.push(line);
      this.onLine(line);
    }
  }
}

/**
 * The stack's handlers in this process (the stream, the REST api for stops, the drain on
 * the local kept-runs queue), all reaching DynamoDB Local through the fault proxy, with
 * the offline model server as the provider. Handlers read their environment once: one
 * world per process.
 */
export const startFaultWorld = async (options: WorldOptions): Promise<FaultWorld> => {
  // Calls are not kept: a long run would otherwise hold every request body it ever saw.
  const proxy = await startDbProxy(options.ddbEndpoint, { keepCalls: false });
  const modelServer = await startModelServer();
  const keptRuns = await startLocalKeptRuns({
    drainTimeoutMs: options.drainTimeoutMs,
    visibilityTimeoutMs: options.visibilityTimeoutMs,
    duplicateChance: options.duplicateChance,
  });
  const env = await createEnvOn(options.ddbEndpoint, {
    ...keptRuns.env,
    DYNAMODB_ENDPOINT: proxy.endpoint,
    MODEL_HOST_ALLOWLIST: '127.0.0.1,localhost',
    CANCEL_POLL_MS: String(options.cancelPollMs ?? 250),
    STORAGE_PATIENCE_MS: String(options.patienceMs),
    RATE_LIMIT_SENDS_PER_MINUTE: '100000',
    RATE_LIMIT_CANCELS_PER_MINUTE: '100000',
    MAX_REPLY_BYTES: String(4 * 1024 * 1024),
  });
  Object.assign(process.env, env);
  const [{ handler: stream }, { handler: api }, { handler: drain }, { getStreamRuntime }] = await Promise.all([
    import('../../../../lambdas/chat-stream/handler.ts'),
    import('../../../../lambdas/api/handler.ts'),
    import('../../../../lambdas/drain/handler.ts'),
    import('../../../../lambdas/chat-stream/runtime.ts'),
  ]);
  keptRuns.startDrain(drain as unknown as SqsHandler);
  const store = {
    db: createDocumentClient({ endpoint: options.ddbEndpoint }),
    tables: { models: env.MODELS_TABLE!, configs: env.CONFIGS_TABLE!, sessions: env.SESSIONS_TABLE! },
  };
  // The model is added past the proxy: setting up is not what is under test.
  const runtime = { ...(await getStreamRuntime()), db: store.db };
  const modelId = await nextModelId(runtime);
  await insertModel(runtime, offlineModel(modelId, modelServer.url));
  const tokens = new Map<number, string>();
  const tokenOf = async (user: number) => tokens.get(user) ?? tokens.set(user, await bearer(CHAT_USER(user))).get(user)!;

  const cancel = async (authorization: string, runId: string) => {
    const event = httpApiEvent({ method: 'POST', path: '/ai/chat/cancel', authorization, body: { runId } });
    const out = await (api as unknown as ApiHandler)(event, localContext('api', options.apiTimeoutMs));
    const json = JSON.parse(out.body ?? '{}') as { code: number; msg: string };
    return { code: json.code, msg: json.msg };
  };

  const chat = async (spec: ChatSpec, sessionId: string | undefined): Promise<Observation> => {
    const authorization = await tokenOf(spec.user);
    const observation: Observation = {
      spec,
      startedAt: Date.now(),
      sentSessionId: sessionId,
      lines: [],
      content: '',
      reasoning: '',
      endedAt: 0,
    };
    let stopping: Promise<void> | undefined;
    let contentLines = 0;
    const reader = new Reader((line) => {
      if (line.type === 'meta') observation.sessionId = line.session_id as string;
      if (line.type === 'run_info') observation.runId = line.run_id as string;
      if (line.type === 'content') {
        observation.content += line.content as string;
        contentLines++;
      }
      if (line.type === 'reasoning') observation.reasoning += line.content as string;
      if (spec.stopAfter !== undefined && !stopping && observation.runId && contentLines >= spec.stopAfter) {
        const at = Date.now();
        stopping = cancel(authorization, observation.runId).then(
          (answer) => {
            observation.stop = { at, answer };
          },
          (err: unknown) => {
            observation.stop = { at, answer: { code: -1, msg: String(err) } };
          },
        );
      }
    });
    const event = httpApiEvent({
      method: 'POST',
      path: '/ai/chat/send',
      authorization,
      body: { modelId, message: spec.message, sessionId: sessionId ?? null, isReasoning: spec.isReasoning, stream: true },
    });
    try {
      await (stream as unknown as StreamHandler)(event, reader, localContext('chat-stream', options.streamTimeoutMs));
    } catch (err) {
      observation.envelope = { code: -1, msg: `the invocation failed: ${String(err)}` };
    }
    await stopping;
    observation.endedAt = Date.now();
    observation.lines = reader.lines;
    if (!reader.isStream && !observation.envelope) {
      const json = JSON.parse(reader.raw || '{}') as { code: number; msg: string };
      observation.envelope = { code: json.code, msg: json.msg };
    }
    return observation;
  };

  return {
    proxy,
    keptRuns,
    store,
    modelServer,
    chat,
    async warmUp() {
      const spec: ChatSpec = {
        index: -1,
        user: 1_999,
        session: 'new',
        reply: 'short',
        message: '[[interval=0 chunks=3]] warm',
        isReasoning: true,
        startAfterMs: 0,
      };
      const warm = await chat({ ...spec, stopAfter: 1 }, undefined);
      if (!warm.lines.some((l) => l.type === 'run_info')) throw new Error(`warm-up chat failed: ${JSON.stringify(warm.envelope ?? warm.lines)}`);
    },
    async stop() {
      await keptRuns.stop();
      await proxy.close();
      await modelServer.close();
    },
  };
};
