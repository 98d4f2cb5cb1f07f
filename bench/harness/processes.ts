import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CapacityTotals } from './capacity.ts';
import type { ModelProcessMessage } from './model-process.ts';
import type { MemoryGrowth, StackCommand, StackReady, WaitedRounds } from './stack-process.ts';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/** Children run TypeScript through tsx like the bench itself; their console output is dropped (as CloudWatch would take it). */
const forkTs = (file: string, args: string[]): ChildProcess =>
  fork(here(file), args, {
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : [])],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });

const firstMessage = <T>(child: ChildProcess, what: string, timeoutMs = 120_000): Promise<T> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${timeoutMs} ms`)), timeoutMs);
    child.once('message', (message) => {
      clearTimeout(timer);
      resolve(message as T);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}) before it was ready`));
    });
  });

const exited = (child: ChildProcess, timeoutMs = 10_000) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });

export interface ModelProcess {
  url: string;
  /** hrtime marks of responses the client closed early, oldest first. */
  aborts: bigint[];
  stop(): Promise<void>;
}

export const startModelProcess = async (): Promise<ModelProcess> => {
  const child = forkTs('./model-process.ts', []);
  const ready = await firstMessage<ModelProcessMessage>(child, 'model server');
  if (ready.type !== 'ready') throw new Error('model server: unexpected first message');
  const aborts: bigint[] = [];
  child.on('message', (message: ModelProcessMessage) => {
    if (message.type === 'aborted') aborts.push(BigInt(message.at));
  });
  return {
    url: ready.url,
    aborts,
    stop: async () => {
      child.send({ type: 'stop' });
      await exited(child);
    },
  };
};

type Request = StackCommand extends infer C ? (C extends { id: number } ? Omit<C, 'id'> : never) : never;

export interface StackProcess extends Omit<StackReady, 'type'> {
  /** Meters DynamoDB capacity from now (figure 5 only: the other figures time calls as they are). */
  capacityStart(): Promise<void>;
  capacityStop(): Promise<CapacityTotals>;
  /** Watches the stack's memory from now (figure 8); `memoryStop` gives its peak above that. */
  memoryStart(): Promise<void>;
  memoryStop(): Promise<MemoryGrowth>;
  seedSessions(userId: string, count: number): Promise<void>;
  /** A session of `runs` completed turns; its id. */
  seedSession(userId: string, runs: number): Promise<string>;
  /** Times `count` rounds of `parallel` GetItems (default 1) made in the stack process on its DynamoDB client, in ms. */
  timeGetItems(count: number, parallel?: number): Promise<number[]>;
  /** Times `count` runs of the stream function's checks alone (prepareRun), for a new session or a follow-up in `sessionId`, in ms. */
  timeChecks(count: number, sessionId?: string): Promise<number[]>;
  /** Traces the stack's outgoing requests from now (one send at a time). */
  traceStart(): Promise<void>;
  /** The DynamoDB rounds the traced send's model request waited for. */
  traceStop(): Promise<WaitedRounds | null>;
  stop(): Promise<void>;
}

export const startStackProcess = async (modelBaseUrl: string): Promise<StackProcess> => {
  const child = forkTs('./stack-process.ts', [modelBaseUrl]);
  const ready = await firstMessage<StackReady>(child, 'local stack');
  let nextId = 1;
  const waiting = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
  child.on('message', (message: { id?: number; result?: unknown; error?: string }) => {
    const waiter = message.id === undefined ? undefined : waiting.get(message.id);
    if (!waiter) return;
    waiting.delete(message.id!);
    if (message.error) waiter.reject(new Error(message.error));
    else waiter.resolve(message.result);
  });
  const call = <T>(request: Request): Promise<T> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ ...request, id });
    });
  return {
    url: ready.url,
    userToken: ready.userToken,
    modelId: ready.modelId,
    pollMs: ready.pollMs,
    relayUrl: ready.relayUrl,
    handlerEnv: ready.handlerEnv,
    capacityStart: () => call({ cmd: 'capacity.start' }),
    capacityStop: () => call({ cmd: 'capacity.stop' }),
    memoryStart: () => call({ cmd: 'memory.start' }),
    memoryStop: () => call({ cmd: 'memory.stop' }),
    seedSessions: (userId, count) => call({ cmd: 'seed.sessions', userId, count }),
    seedSession: (userId, runs) => call({ cmd: 'seed.session', userId, runs }),
    timeGetItems: (count, parallel = 1) => call({ cmd: 'db.getItem', count, parallel }),
    timeChecks: (count, sessionId) => call({ cmd: 'checks.time', count, sessionId }),
    traceStart: () => call({ cmd: 'trace.start' }),
    traceStop: () => call({ cmd: 'trace.stop' }),
    stop: async () => {
      await call({ cmd: 'stop' }).catch(() => {});
      await exited(child);
    },
  };
};
