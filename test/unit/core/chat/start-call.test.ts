import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ActiveRun } from '../../../../lambdas/core/chat/active-run.ts';
import type { PreparedRun } from '../../../../lambdas/core/chat/2-check/prepare-run.ts';
import { DynamoDbError } from '../../../../lambdas/core/db/dynamodb-error.ts';
import { RunStream } from '../../../../lambdas/core/chat/run-stream.ts';
import { startCall } from '../../../../lambdas/core/chat/4-start-call/start-call.ts';
import { defaultChatConfig } from '../../../../lambdas/core/configs/schema.ts';
import { profileOf } from '../../../../lambdas/core/llm/provider-profiles.ts';
import { createRequestLog } from '../../../../lambdas/core/observability/request-log.ts';
import { readSettings } from '../../../../lambdas/core/settings.ts';
import { type ModelServer, startModelServer } from '../../../../local/model-server.ts';
import { createRunStop } from '../../../../lambdas/core/chat/stop/run-stop.ts';
import { RUN_MSG } from '../../../../lambdas/core/wire/messages.ts';

/**
 * Phase 4 against the offline model server, with the status write played by a gate the
 * test opens or fails: the request goes out at once, its reply is handed on only once
 * the status item exists, and a status write that fails aborts the call unread.
 */
let server: ModelServer;
beforeAll(async () => {
  server = await startModelServer({ host: '127.0.0.1' });
});
afterAll(() => server.close());

const settings = readSettings({ MODELS_TABLE: 'm', CONFIGS_TABLE: 'c', SESSIONS_TABLE: 's' });

/** A status write that waits for the test: `open()` lets it land, `fail()` refuses it. */
const gatedStatusWrite = () => {
  let open!: () => void;
  let fail!: (err: Error) => void;
  const landed = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  const transactWrite = vi.fn(() => landed.then(() => ({})));
  return { transactWrite, open, fail };
};

const activeRun = (transactWrite: () => Promise<unknown>, message: string): ActiveRun => {
  const stream = new RunStream();
  const plan = {
    identity: { userId: '7' },
    request: { message, isReasoning: false },
    runId: 'run-1',
    sessionId: 'session-1',
    model: { modelId: 1, modelCode: 'offline', provider: 'OpenAI', maxTokens: null, supportReasoning: 'N', temperature: null },
    config: defaultChatConfig('7'),
    connection: { apiKey: 'sk-test', target: { url: new URL(server.url) }, profile: profileOf('OpenAI') },
  } as unknown as PreparedRun;
  const db = { transactWrite, until: () => db };
  return {
    deps: { runtime: { settings, db, tables: { sessions: 's' } } } as unknown as ActiveRun['deps'],
    plan,
    stream,
    ctx: { log: createRequestLog(), startedAt: Date.now(), remainingTimeMs: () => 60_000, startBy: Date.now() + 15_000, authorization: undefined },
    runId: 'run-1',
    progress: { content: [], reasoning: [] },
    stop: createRunStop(stream),
  };
};

const linesOf = (stream: RunStream) => {
  const lines: Record<string, unknown>[] = [];
  stream.body.on('data', (chunk: Buffer) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  return lines;
};

describe('phase 4: start the call', () => {
  it('sends the request before the status write lands, and hands the reply on only after run_info', async () => {
    const gate = gatedStatusWrite();
    const active = activeRun(gate.transactWrite, '[[delay=0 interval=0 chunks=5]] hi');
    const lines = linesOf(active.stream);
    const completed = server.stats.completed;
    const starting = startCall(active, { history: [], images: [] });

    // The provider sent its whole reply while the status write was out; none of it reached the run.
    await vi.waitFor(() => expect(server.stats.completed).toBe(completed + 1), { timeout: 10_000 });
    expect(active.progress.content).toEqual([]);
    expect(lines).toEqual([]);

    gate.open();
    const call = await starting;
    expect(await call.ended).toEqual({});
    active.stream.end();
    await new Promise((resolve) => active.stream.body.on('end', resolve));
    expect(lines.map((l) => l.type)).toEqual(['run_info', ...Array(5).fill('content')]);
    expect(active.stop.reason()).toBeUndefined();
  });

  it('a refused status write: the phase fails with its message, the call is aborted unread, no line goes out', async () => {
    const gate = gatedStatusWrite();
    const active = activeRun(gate.transactWrite, '[[delay=0 interval=50 chunks=200]] hi');
    const lines = linesOf(active.stream);
    const aborted = server.stats.aborted;
    const requests = server.stats.requests.length;
    const starting = startCall(active, { history: [], images: [] });
    await vi.waitFor(() => expect(server.stats.requests.length).toBe(requests + 1), { timeout: 10_000 });

    gate.fail(new Error('status write refused'));
    await expect(starting).rejects.toMatchObject({ name: 'PhaseFailure', phase: 'start the call', message: RUN_MSG.startFailed });
    expect(active.progress.content).toEqual([]);
    expect(active.stop.signal.aborted).toBe(true);
    expect(active.stop.reason()).toBeUndefined();
    await vi.waitFor(() => expect(server.stats.aborted).toBe(aborted + 1), { timeout: 10_000 });
    active.stream.flush();
    expect(lines).toEqual([]);
  });

  it('a status write DynamoDB kept refusing in passing: the run did not start because storage is unavailable', async () => {
    const gate = gatedStatusWrite();
    const active = activeRun(gate.transactWrite, '[[delay=0 interval=50 chunks=200]] hi');
    const starting = startCall(active, { history: [], images: [] });
    await vi.waitFor(() => expect(gate.transactWrite).toHaveBeenCalled());
    gate.fail(new DynamoDbError('ThrottlingException', 'Rate of requests exceeds the allowed throughput.', 400, true));
    await expect(starting).rejects.toMatchObject({ name: 'PhaseFailure', phase: 'start the call', message: RUN_MSG.storageUnavailable });
    expect(active.stop.signal.aborted).toBe(true);
  });
});
