import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { saveChatConfig } from '../../lambdas/core/configs/repository.ts';
import { MODEL_DISABLED_MSG } from '../../lambdas/core/chat/prepare-run.ts';
import { replaceModel } from '../../lambdas/core/models/repository.ts';
import type { StoredModel } from '../../lambdas/core/models/schema.ts';
import { createRunStatus } from '../../lambdas/core/sessions/run-status.ts';
import { loadRuns, persistRun } from '../../lambdas/core/sessions/run-store.ts';
import { bearer, CHAT_USER } from '../support/tokens.ts';
import { setUpChatStream, type Capture, type ChatStreamHarness } from './support.ts';

/**
 * A user's next message may go to the model before the pre-stream checks answer, when
 * this instance accepted the same user with the same model a moment ago. The checks are
 * held back here by a wrapper on the runtime's own DynamoDB client (the rate-limit
 * write is one of them), which shows whether the model had the request by then.
 */
let h: ChatStreamHarness;
/** Takes the hold off the runtime's client again. */
let release = () => {};
const HOLD_MS = 150;
/** Long enough that a discarded request is still unanswered when it is aborted. */
const SLOW = '[[delay=400 interval=0 chunks=3]]';

beforeAll(async () => {
  h = await setUpChatStream();
});

afterEach(() => {
  release();
});

/** Holds the rate-limit write back; `requests` is how many requests the model server had when it went on. */
const holdChecks = () => {
  const seen = { requests: -1 };
  release();
  release = h.runtime.db.use((next) => async (operation, input) => {
    if (operation === 'UpdateItem' && JSON.stringify(input).includes('RATE#')) {
      await new Promise((r) => setTimeout(r, HOLD_MS));
      seen.requests = h.modelServer.stats.requests.length;
    }
    return next(operation, input);
  });
  return seen;
};

const sendAs = async (user: number, body: Record<string, unknown>) =>
  h.send(body, { authorization: await bearer(CHAT_USER(user)) });

/** meta, run_info, the reply, metrics; and the session stores what was streamed. */
const expectCompleted = async (out: Capture) => {
  expect(out.lines.map((l) => l.type).filter((t) => t !== 'content')).toEqual(['meta', 'run_info', 'metrics']);
  expect(out.text('content')).not.toBe('');
  const runs = await loadRuns(h.runtime, out.lines[0]!.session_id as string);
  const stored = runs.find((run) => run.runId === out.ofType('run_info')[0]!.run_id);
  expect(stored).toMatchObject({ status: 'completed', content: out.text('content') });
};

const lastRequestText = () => JSON.stringify(h.modelServer.stats.requests.at(-1)!.body);

const serverCounts = () => ({ requests: h.modelServer.stats.requests.length, aborted: h.modelServer.stats.aborted });

/** Since `before`: an early request without `fresh`, aborted, and the run's own request with it. */
const expectEarlyReplaced = async (before: ReturnType<typeof serverCounts>, fresh: string) => {
  expect(h.modelServer.stats.requests.length, 'the early request and the run’s own').toBe(before.requests + 2);
  expect(JSON.stringify(h.modelServer.stats.requests[before.requests]!.body)).not.toContain(fresh);
  expect(lastRequestText()).toContain(fresh);
  await vi.waitFor(() => expect(h.modelServer.stats.aborted).toBe(before.aborted + 1), { timeout: 5000 });
};

describe('the early model call', () => {
  it('is not made for a user this instance has not accepted yet', async () => {
    const model = await h.addModel();
    const before = h.modelServer.stats.requests.length;
    const seen = holdChecks();
    const out = await sendAs(701, { modelId: model.modelId, message: 'first message' });
    expect(seen.requests, 'the model was called before the checks answered').toBe(before);
    expect(out.ofType('metrics')).toHaveLength(1);
  });

  it('sends the next message of an accepted user before the checks answer, and streams it as usual', async () => {
    const model = await h.addModel();
    const first = await sendAs(702, { modelId: model.modelId, message: 'first message' });
    const before = h.modelServer.stats.requests.length;
    const seen = holdChecks();
    const out = await sendAs(702, { modelId: model.modelId, message: 'second message' });

    expect(seen.requests, 'the request went out while the checks were held').toBe(before + 1);
    expect(h.modelServer.stats.requests.length, 'one request for the message, not two').toBe(before + 1);
    expect(lastRequestText()).toContain('second message');
    await expectCompleted(out);
    expect(first.ofType('metrics')).toHaveLength(1);
  });

  it('is dropped when the checks refuse: nothing is streamed and the provider request is aborted', async () => {
    const model = await h.addModel();
    await sendAs(703, { modelId: model.modelId, message: 'first message' });
    await replaceModel(h.runtime, { ...model, status: '1' } as StoredModel);
    const requests = h.modelServer.stats.requests.length;
    const aborted = h.modelServer.stats.aborted;

    // Held, so the refusal surely comes after the early request reached the model server.
    holdChecks();
    const refused = await sendAs(703, { modelId: model.modelId, message: `${SLOW} while disabled` });
    expect(refused.isStream).toBe(false);
    expect(refused.envelope).toMatchObject({ code: 500, msg: MODEL_DISABLED_MSG });
    expect(h.modelServer.stats.requests.length, 'the early request went out').toBe(requests + 1);
    await vi.waitFor(() => expect(h.modelServer.stats.aborted).toBe(aborted + 1), { timeout: 5000 });

    // After a refusal the user's next message waits for the checks again.
    await replaceModel(h.runtime, model);
    const seen = holdChecks();
    const out = await sendAs(703, { modelId: model.modelId, message: 'enabled again' });
    expect(seen.requests).toBe(requests + 1);
    expect(out.ofType('metrics')).toHaveLength(1);
  });

  it('is replaced by the run’s own request when the config changed since the last run', async () => {
    const model = await h.addModel();
    await sendAs(704, { modelId: model.modelId, message: 'first message' });
    await saveChatConfig(h.runtime, '704', { systemPrompt: 'Answer like a pirate.' });
    const before = serverCounts();

    const out = await sendAs(704, { modelId: model.modelId, message: `${SLOW} with the new prompt` });
    await expectEarlyReplaced(before, 'Answer like a pirate.');
    await expectCompleted(out);
  });

  it('sends a follow-up early with the history this instance stored with the session’s last run', async () => {
    const model = await h.addModel();
    const first = await sendAs(705, { modelId: model.modelId, message: 'first message' });
    const sessionId = first.lines[0]!.session_id as string;
    const before = h.modelServer.stats.requests.length;
    const seen = holdChecks();
    const out = await sendAs(705, { modelId: model.modelId, sessionId, message: 'and a follow-up' });
    expect(seen.requests, 'the request went out while the checks were held').toBe(before + 1);
    expect(h.modelServer.stats.requests.length).toBe(before + 1);
    expect(lastRequestText()).toContain('first message');
    expect(lastRequestText()).toContain(JSON.stringify(first.text('content')).slice(1, -1));
    await expectCompleted(out);
  });

  it('is replaced when the session got a turn this instance did not see', async () => {
    const model = await h.addModel();
    const first = await sendAs(706, { modelId: model.modelId, message: 'first message' });
    const sessionId = first.lines[0]!.session_id as string;
    const runId = randomUUID();
    const startedAt = Date.now();
    await createRunStatus(h.runtime, { runId, sessionId, userId: '706' }, 600);
    await persistRun(h.runtime, {
      runId,
      sessionId,
      userId: '706',
      status: 'completed',
      userMessage: 'asked in another tab',
      images: [],
      content: 'answered elsewhere',
      reasoning: '',
      metrics: { inputTokens: 1, outputTokens: 1, totalTokens: 2, reasoningTokens: 0, cacheReadTokens: 0, duration: 0.1, timeToFirstToken: 0.1 },
      model: { id: model.modelId, code: model.modelCode, name: model.modelName ?? model.modelCode, provider: model.provider, temperature: null },
      startedAt,
      finishedAt: startedAt + 100,
    });
    const before = serverCounts();

    const out = await sendAs(706, { modelId: model.modelId, sessionId, message: `${SLOW} and a follow-up` });
    await expectEarlyReplaced(before, 'answered elsewhere');
    await expectCompleted(out);
  });

  it('is not made into a session whose history this instance does not hold', async () => {
    const model = await h.addModel();
    const first = await sendAs(707, { modelId: model.modelId, message: 'in the first session' });
    await sendAs(707, { modelId: model.modelId, message: 'in a second session' });
    const before = h.modelServer.stats.requests.length;
    const seen = holdChecks();
    const out = await sendAs(707, { modelId: model.modelId, sessionId: first.lines[0]!.session_id, message: 'back to the first' });
    expect(seen.requests).toBe(before);
    expect(lastRequestText()).toContain('in the first session');
    expect(out.ofType('metrics')).toHaveLength(1);
  });
});
