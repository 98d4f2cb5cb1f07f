import { describe, expect, it, vi } from 'vitest';
import { type ActiveRun, asPhase, endOnFailure, PhaseFailure, SAFETY_MARGIN_MS } from '../../../../lambdas/core/chat/active-run.ts';
import { finish } from '../../../../lambdas/core/chat/6-finish/finish-run.ts';
import { loadInputs } from '../../../../lambdas/core/chat/3-load-inputs/load-inputs.ts';
import type { PreparedRun } from '../../../../lambdas/core/chat/2-check/prepare-run.ts';
import { NO_QUOTA } from '../../../../lambdas/core/quotas/quota-check.ts';
import { RunStream } from '../../../../lambdas/core/chat/run-stream.ts';
import type { StartedCall } from '../../../../lambdas/core/chat/4-start-call/start-call.ts';
import { supervise } from '../../../../lambdas/core/chat/5-supervise/supervise.ts';
import { createRunStop } from '../../../../lambdas/core/chat/stop/run-stop.ts';
import { classifyEnd } from '../../../../lambdas/core/chat/stop/stop-outcome.ts';
import { defaultChatConfig } from '../../../../lambdas/core/configs/schema.ts';
import { ReplyTooLongError } from '../../../../lambdas/core/llm/reply-limit.ts';
import { createRequestLog } from '../../../../lambdas/core/observability/request-log.ts';
import { readSettings } from '../../../../lambdas/core/settings.ts';
import { RUN_MSG, UPSTREAM_MSG } from '../../../../lambdas/core/wire/messages.ts';

/**
 * The run's phases one by one, without DynamoDB or a provider: the failure rule, the
 * inputs, how a call's end is classified, and that finishing never throws. The phases
 * together, against DynamoDB Local and a model server, are test/integration/chat-stream/.
 */

const log = createRequestLog();
const ctx = { log, startedAt: Date.now(), remainingTimeMs: () => 60_000, authorization: undefined };

const plan = (overrides: Partial<PreparedRun> = {}): PreparedRun =>
  ({
    identity: { userId: '7', deptAncestors: [], roles: [] },
    request: { message: 'hi' },
    runId: 'run-1',
    sessionId: 'session-1',
    isNewSession: true,
    model: { modelId: 1, modelCode: 'm', modelName: 'M', provider: 'OpenAI', supportImages: 'Y', temperature: null },
    config: { ...defaultChatConfig('7'), visionEnabled: '0' },
    connection: { apiKey: 'sk-secret' },
    images: [{ source: 'store', key: 'k1' }],
    history: Promise.resolve([]),
    quota: NO_QUOTA,
    ...overrides,
  }) as unknown as PreparedRun;

/** A store whose every call fails: the run cannot be stored. */
const failingDb = () => {
  const fail = vi.fn(async () => {
    throw new Error('DynamoDB is down');
  });
  const db = { transactWrite: fail, batchWrite: fail, update: fail, until: () => db };
  return { db, fail };
};

const activeRun = (overrides: Partial<ActiveRun> = {}): ActiveRun => {
  const { db } = failingDb();
  const stream = new RunStream();
  return {
    deps: { runtime: { db, tables: { sessions: 'sessions' } } } as unknown as ActiveRun['deps'],
    plan: plan(),
    stream,
    ctx,
    runId: 'run-1',
    progress: { content: [], reasoning: [] },
    stop: createRunStop(stream),
    ...overrides,
  };
};

const linesOf = async (stream: RunStream) => {
  let text = '';
  for await (const chunk of stream.body) text += String(chunk);
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
};

describe('the failure rule', () => {
  it('a phase failure before the status item exists: not started, with the phase message', () => {
    const failure = new PhaseFailure('load inputs', RUN_MSG.historyFailed, { cause: new Error('read failed') });
    expect(endOnFailure(log, failure, false)).toEqual({ status: 'not-started', error: RUN_MSG.historyFailed });
  });

  it('after it exists: failed, with the phase message', () => {
    const failure = new PhaseFailure('start the call', RUN_MSG.startFailed);
    expect(endOnFailure(log, failure, true)).toEqual({ status: 'failed', error: RUN_MSG.startFailed });
  });

  it('a failure that is no phase’s ends the run the same way, as unexpected', () => {
    expect(endOnFailure(log, new TypeError('bug'), false)).toEqual({ status: 'not-started', error: RUN_MSG.unexpected });
    expect(endOnFailure(log, new TypeError('bug'), true)).toEqual({ status: 'failed', error: RUN_MSG.unexpected });
  });

  it('a phase names its failure once, keeping a failure of an inner phase as it is', async () => {
    const cause = new Error('deep');
    const outer = await asPhase('start the call', RUN_MSG.startFailed, async () => {
      throw cause;
    }).catch((err: unknown) => err);
    expect(outer).toMatchObject({ name: 'PhaseFailure', phase: 'start the call', message: RUN_MSG.startFailed, cause });
    const rethrown = await asPhase('supervise', RUN_MSG.unexpected, async () => {
      throw outer;
    }).catch((err: unknown) => err);
    expect(rethrown).toBe(outer);
  });
});

describe('phase 3: load inputs', () => {
  it('fails with the history message when the history read failed, after the images settled', async () => {
    const read = vi.fn(async () => ({ contentType: 'image/png', bytes: Buffer.from('png') }));
    const deps = { runtime: { images: { read } }, ruoyiImages: undefined } as unknown as ActiveRun['deps'];
    const failure = await loadInputs({ deps, plan: plan({ history: Promise.reject(new Error('no history')) }), ctx }).catch((err: unknown) => err);
    expect(failure).toMatchObject({ phase: 'load inputs', message: RUN_MSG.historyFailed });
    expect(read).toHaveBeenCalledTimes(1);
  });

  it('reads images only for a model and config that take them', async () => {
    const read = vi.fn(async () => ({ contentType: 'image/png', bytes: Buffer.from('png') }));
    const deps = { runtime: { images: { read } }, ruoyiImages: undefined } as unknown as ActiveRun['deps'];
    const history = [{ runId: 'r0' }] as unknown as Awaited<PreparedRun['history']>;
    expect(await loadInputs({ deps, plan: plan({ history: Promise.resolve(history) }), ctx })).toEqual({
      history,
      images: [{ contentType: 'image/png', base64: Buffer.from('png').toString('base64') }],
    });
    const blind = plan({ config: { ...defaultChatConfig('7'), visionEnabled: '1' } });
    expect(await loadInputs({ deps, plan: blind, ctx })).toEqual({ history: [], images: [] });
    expect(read).toHaveBeenCalledTimes(1);
  });
});

describe('stopping: how a call ended', () => {
  const secrets = { apiKey: 'sk-secret', prompt: ['hi'] };

  it('a stop wins over what the call threw meanwhile', () => {
    expect(classifyEnd('cancelled', { error: new Error('aborted') }, secrets, log)).toEqual({ status: 'cancelled' });
    expect(classifyEnd('disconnected', {}, secrets, log)).toEqual({ status: 'cancelled' });
    expect(classifyEnd('idle', {}, secrets, log)).toEqual({ status: 'failed', error: UPSTREAM_MSG.timeout });
    expect(classifyEnd('deadline', {}, secrets, log)).toEqual({ status: 'failed', error: RUN_MSG.timeLimit });
  });

  it('a reply past its bound, a provider failure, a finished call', () => {
    expect(classifyEnd(undefined, { error: new ReplyTooLongError('too long') }, secrets, log)).toEqual({ status: 'failed', error: RUN_MSG.replyTooLong });
    const failed = classifyEnd(undefined, { error: new Error('sk-secret leaked') }, secrets, log);
    expect(failed.status).toBe('failed');
    expect(failed.error).not.toContain('sk-secret');
    expect(classifyEnd(undefined, {}, secrets, log)).toEqual({ status: 'completed' });
  });
});

describe('phase 5: supervise', () => {
  const settings = { ...readSettings({ MODELS_TABLE: 'm', CONFIGS_TABLE: 'c', SESSIONS_TABLE: 's' }), CANCEL_POLL_MS: 5 };

  /** A call that runs until stopped, over a status item the test sets. */
  const supervised = (item: Record<string, unknown> | undefined, remainingTimeMs: number) => {
    const db = { get: vi.fn(async () => ({ Item: item })) };
    const active = activeRun({
      deps: { runtime: { settings, db, tables: { sessions: 's' } } } as unknown as ActiveRun['deps'],
      ctx: { ...ctx, remainingTimeMs: () => remainingTimeMs },
    });
    const ended = new Promise<{ error?: unknown }>((resolve) => {
      active.stop.signal.addEventListener('abort', () => resolve({ error: new Error('aborted') }));
    });
    const call: StartedCall = { planned: { request: { messages: [{ text: 'hi' }] } } as unknown as StartedCall['planned'], ended };
    return { run: supervise(active, call), db };
  };

  it('a cancel in the status item stops the call: cancelled', async () => {
    const { run, db } = supervised({ status: 'CANCELLED' }, 60_000);
    expect(await run).toEqual({ status: 'cancelled' });
    expect(db.get).toHaveBeenCalled();
  });

  it('a status item gone with its session stops the call as a cancel', async () => {
    expect(await supervised(undefined, 60_000).run).toEqual({ status: 'cancelled' });
  });

  it('the function’s time, less the safety margin, stops the call: failed at the time limit', async () => {
    const { run, db } = supervised({ status: 'RUNNING' }, SAFETY_MARGIN_MS);
    expect(await run).toEqual({ status: 'failed', error: RUN_MSG.timeLimit });
    expect(db.get).not.toHaveBeenCalled();
  });
});

describe('phase 6: finish', () => {
  it('a run that never started: its error line and the end, nothing stored', async () => {
    const { db, fail } = failingDb();
    const active = activeRun({ deps: { runtime: { db, tables: { sessions: 'sessions' } } } as unknown as ActiveRun['deps'] });
    const lines = linesOf(active.stream);
    await finish(active, { status: 'not-started', error: RUN_MSG.startFailed });
    expect(await lines).toEqual([{ error: RUN_MSG.startFailed, type: 'error' }]);
    expect(fail).not.toHaveBeenCalled();
  });

  it('a run that could not be stored ends on the save error, not on metrics', async () => {
    const active = activeRun();
    active.progress.content.push('partial');
    const lines = linesOf(active.stream);
    await finish(active, { status: 'completed' });
    expect(await lines).toEqual([{ error: RUN_MSG.saveFailed, type: 'error' }]);
  });

  it('never throws, even when the stream itself fails: the body is destroyed instead', async () => {
    const active = activeRun();
    const stream = active.stream;
    stream.error = () => {
      throw new Error('stream broken');
    };
    await expect(finish(active, { status: 'failed', error: RUN_MSG.unexpected })).resolves.toBeUndefined();
    expect(stream.body.destroyed).toBe(true);
  });
});
