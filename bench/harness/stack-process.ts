import { randomUUID } from 'node:crypto';
import { startLocalStack } from '../../local/stack.ts';
import { meterCapacity } from './capacity.ts';
import { startPassThroughRelay } from './pass-through-relay.ts';
import { roundsBefore, traceWire, type WireTrace } from './wire-rounds.ts';
import type { RunRecord } from '../../lambdas/core/sessions/types.ts';

/**
 * The local stack in a process of its own (the function is its own machine in AWS),
 * pointed at the bench's model server. It answers the bench over IPC: capacity
 * counters from both handlers' DynamoDB clients, and seeding through the real run store.
 */
export interface StackReady {
  type: 'ready';
  url: string;
  userToken: string;
  modelId: number;
  pollMs: number;
  /** The pass-through relay to the same model server, in this process (pass-through-relay.ts). */
  relayUrl: string;
  /** The environment the handlers read (tables, DynamoDB Local, local key and images): figure 8 runs the bundles with it. */
  handlerEnv: Record<string, string>;
}

export type StackCommand =
  | { id: number; cmd: 'capacity.start' }
  | { id: number; cmd: 'capacity.stop' }
  | { id: number; cmd: 'seed.sessions'; userId: string; count: number }
  | { id: number; cmd: 'memory.start' }
  | { id: number; cmd: 'memory.stop' }
  | { id: number; cmd: 'seed.session'; userId: string; runs: number }
  | { id: number; cmd: 'db.getItem'; count: number; parallel: number }
  | { id: number; cmd: 'checks.time'; count: number; sessionId?: string }
  | { id: number; cmd: 'trace.start' }
  | { id: number; cmd: 'trace.stop' }
  | { id: number; cmd: 'stop' };

const modelBaseUrl = process.argv[2];
if (!modelBaseUrl) throw new Error('usage: stack-process <model base URL>');

// The offline model server is on loopback, which the base-URL guard refuses unless allowed by name.
process.env.MODEL_HOST_ALLOWLIST = '127.0.0.1';
process.env.POWERTOOLS_SERVICE_NAME = 'chat-bench';

/** Rate limits are the deployment's business, not the bench's: every send must go through. */
const NO_LIMIT = '1000000';

const stack = await startLocalStack({
  modelBaseUrl,
  env: { RATE_LIMIT_SENDS_PER_MINUTE: NO_LIMIT, RATE_LIMIT_CANCELS_PER_MINUTE: NO_LIMIT },
});
const { getApiRuntime } = await import('../../lambdas/api/runtime.ts');
const { getStreamRuntime } = await import('../../lambdas/chat-stream/runtime.ts');
const { createRunStatus } = await import('../../lambdas/core/sessions/run-status.ts');
const { storeFinishedRun } = await import('../../lambdas/core/sessions/final-write.ts');
const { createChatDeps } = await import('../../lambdas/core/chat/deps.ts');
const { prepareRun } = await import('../../lambdas/core/chat/2-check/prepare-run.ts');
const { chatRequestSchema } = await import('../../lambdas/core/chat/1-accept/request-schema.ts');
const { createRequestLog } = await import('../../lambdas/core/observability/request-log.ts');
const { getModel, replaceModel } = await import('../../lambdas/core/models/repository.ts');
const { addQuota } = await import('../../lambdas/core/quotas/service.ts');
const { quotaInputSchema } = await import('../../lambdas/core/quotas/schema.ts');
const relay = await startPassThroughRelay(modelBaseUrl);
// Each handler has its own runtime, so both clients are metered; seeding goes through the API's.
const runtime = await getApiRuntime();
const streamRuntime = await getStreamRuntime();
const capacity = meterCapacity([runtime.db, streamRuntime.db]);

/**
 * A deployment that uses what #25 offers: the model priced (gpt-4o-mini's list price), and
 * the bench users (2: latency, 3: cost) under a hard daily and a soft monthly token quota,
 * neither reached, so every send's checks reserve and read and every run is charged.
 */
const BENCH_USERS = ['2', '3'];
const useQuotas = async () => {
  const model = (await getModel(runtime, stack.modelId))!;
  await replaceModel(runtime, { ...model, prices: [{ currency: 'USD', inputMicros: 150_000, outputMicros: 600_000, cachedMicros: 75_000, effectiveFrom: 0 }] });
  const admin = { userId: '1', userName: 'bench', perms: [], roles: ['admin'], dataScopes: ['1' as const], deptAncestors: [], isAdmin: true };
  for (const userId of BENCH_USERS) {
    for (const [period, enforcement] of [
      ['day', 'hard'],
      ['month', 'soft'],
    ]) {
      const input = quotaInputSchema.parse({ subjectType: 'user', subjectId: userId, period, metric: 'tokens', limit: 1e12, enforcement });
      await addQuota(runtime, admin, input);
    }
  }
};
await useQuotas();

/** One finished run, stored by the same two writes a real run makes (in a new session unless one is given). */
const seedRun = async (userId: string, index: number, sessionId = randomUUID(), startedAt = Date.now() - 1000) => {
  const runId = randomUUID();
  await createRunStatus(runtime, { runId, sessionId, userId }, runtime.settings.RUN_STATUS_TTL_SECONDS);
  const run: RunRecord = {
    runId,
    sessionId,
    userId,
    status: 'completed',
    userMessage: `Seeded session ${index}: a question of ordinary length for a chat.`,
    images: [],
    content: 'A seeded answer of a few sentences. '.repeat(8),
    reasoning: '',
    metrics: { inputTokens: 40, outputTokens: 60, totalTokens: 100, reasoningTokens: 0, cacheReadTokens: 0, duration: 1.2, timeToFirstToken: 0.3 },
    model: { id: stack.modelId, code: 'local-model', name: 'seeded', provider: 'OpenAI', temperature: 0.7 },
    startedAt,
    finishedAt: startedAt + 1000,
  };
  await storeFinishedRun(runtime, { run, followUp: false });
};

const seedSessions = async (userId: string, count: number) => {
  let next = 0;
  const worker = async () => {
    while (next < count) await seedRun(userId, next++);
  };
  await Promise.all(Array.from({ length: 8 }, worker));
};

/** Peak memory of this process (the stack) above where it stood when the watch started. */
export interface MemoryGrowth {
  rssMb: number;
  heapMb: number;
}

const MB = 1024 * 1024;
let memoryWatch: { rss: number; heap: number; peakRss: number; peakHeap: number; timer: NodeJS.Timeout } | undefined;

const watchMemory = () => {
  const { rss, heapUsed } = process.memoryUsage();
  const sample = () => {
    const now = process.memoryUsage();
    watch.peakRss = Math.max(watch.peakRss, now.rss);
    watch.peakHeap = Math.max(watch.peakHeap, now.heapUsed);
  };
  const watch = { rss, heap: heapUsed, peakRss: rss, peakHeap: heapUsed, timer: setInterval(sample, 5) };
  memoryWatch = watch;
};

const memoryGrowth = (): MemoryGrowth => {
  const watch = memoryWatch!;
  clearInterval(watch.timer);
  memoryWatch = undefined;
  return { rssMb: (watch.peakRss - watch.rss) / MB, heapMb: (watch.peakHeap - watch.heap) / MB };
};

/** A session of `runs` completed turns, the last a minute ago: what a follow-up continues. */
const seedSession = async (userId: string, runs: number) => {
  const sessionId = randomUUID();
  const first = Date.now() - 60_000 - runs * 1000;
  for (let i = 0; i < runs; i++) await seedRun(userId, i, sessionId, first + i * 1000);
  return sessionId;
};

/**
 * `count` rounds of `parallel` GetItems each, one round after another, on the stream
 * function's own DynamoDB client: one GetItem is the round trip figure 1 counts its added
 * latency in, on the same DynamoDB Local in the same run; several show how that DynamoDB
 * answers requests sent together.
 */
const timeGetItems = async (count: number, parallel: number) => {
  const { db, tables } = streamRuntime;
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await Promise.all(Array.from({ length: parallel }, () => db.get({ TableName: tables.models, Key: { modelId: stack.modelId } })));
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times;
};

/**
 * The checks alone: the stream function's own `prepareRun` (the one round of DynamoDB
 * requests, then the model's key and address) called `count` times in this process with
 * the bench user's request, no HTTP, token, stream or model call around it: what that
 * round costs on this DynamoDB Local, next to the whole send's added time. Its caches
 * (key, DNS, history sizes) live as long as this process, as a warm instance's do.
 */
const checkDeps = createChatDeps(streamRuntime);
const timeChecks = async (count: number, sessionId?: string) => {
  const identity = await streamRuntime.verifyToken(`Bearer ${stack.userToken}`);
  const request = chatRequestSchema(streamRuntime.settings.MAX_MESSAGE_LENGTH).parse({ modelId: stack.modelId, message: 'How far is the moon?', sessionId });
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await (await prepareRun(checkDeps, identity, request, createRequestLog())).history;
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times;
};

/** What one traced send made the model request wait for, and where the time until it went. */
export interface WaitedRounds {
  /** Sequential DynamoDB rounds that ended before the model request went out. */
  rounds: number;
  /** DynamoDB requests in those rounds. */
  requests: number;
  /** ms from the request's arrival at the stack to its first DynamoDB request: the handler's own work before the checks. */
  beforeMs: number;
  /** ms from the first DynamoDB request to the last answer the model request waited for. */
  roundMs: number;
  /** ms from that answer to the model request: the handler's own work after the checks. */
  afterMs: number;
}

const hostOf = (url: string) => new URL(url).host;
let stopTrace: (() => WireTrace) | undefined;

/** The DynamoDB rounds the traced send's model request waited for (null: no model request was traced). */
const waitedRounds = ({ calls, received }: WireTrace): WaitedRounds | null => {
  const modelCall = calls.find((c) => c.host === hostOf(modelBaseUrl));
  const arrived = received.find((r) => String(r.port) === new URL(stack.url).port);
  if (!modelCall || !arrived) return null;
  const db = calls.filter((c) => c.host === hostOf(process.env.DYNAMODB_ENDPOINT!));
  const waited = db.filter((c) => c.end !== undefined && c.end <= modelCall.start);
  if (!waited.length) return null;
  const first = Math.min(...waited.map((c) => c.start));
  const last = Math.max(...waited.map((c) => c.end!));
  return {
    rounds: roundsBefore(db, modelCall.start),
    requests: waited.length,
    beforeMs: first - arrived.at,
    roundMs: last - first,
    afterMs: modelCall.start - last,
  };
};

const answer = async (command: StackCommand): Promise<unknown> => {
  switch (command.cmd) {
    case 'capacity.start':
      return capacity.start();
    case 'capacity.stop':
      return capacity.stop();
    case 'seed.sessions':
      return seedSessions(command.userId, command.count);
    case 'memory.start':
      return watchMemory();
    case 'memory.stop':
      return memoryGrowth();
    case 'seed.session':
      return seedSession(command.userId, command.runs);
    case 'db.getItem':
      return timeGetItems(command.count, command.parallel);
    case 'checks.time':
      return timeChecks(command.count, command.sessionId);
    case 'trace.start':
      stopTrace = traceWire();
      return undefined;
    case 'trace.stop': {
      const trace = stopTrace?.() ?? { calls: [], received: [] };
      stopTrace = undefined;
      return waitedRounds(trace);
    }
    case 'stop':
      await relay.close();
      await stack.stop();
      setImmediate(() => process.exit(0));
      return undefined;
  }
};

process.on('message', (command: StackCommand) => {
  answer(command).then(
    (result) => process.send!({ id: command.id, result }),
    (err: unknown) => process.send!({ id: command.id, error: String((err as Error)?.stack ?? err) }),
  );
});
process.on('disconnect', () => void stack.stop().then(() => process.exit(0)));

const ready: StackReady = {
  type: 'ready',
  url: stack.url,
  userToken: stack.userToken,
  modelId: stack.modelId,
  pollMs: runtime.settings.CANCEL_POLL_MS,
  relayUrl: relay.url,
  handlerEnv: Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined)),
};
process.send!(ready);
