import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { cancelRun, readRunState } from '../../../lambdas/core/sessions/run-status.ts';
import { loadRuns } from '../../../lambdas/core/sessions/run-store.ts';
import { bearer, CHAT_USER } from '../../support/tokens.ts';
import { captureLogs, setUpChatStream, type Capture, type ChatStreamHarness } from './support.ts';
import { RUN_MSG, UPSTREAM_MSG, upstreamErrorLine } from '../../../lambdas/core/wire/messages.ts';

let h: ChatStreamHarness;
let auth: string;
const USER = 61;
const API_KEY = 'sk-live-secret-key-0123456789abcdef';

beforeAll(async () => {
  // The idle timeout stays above a first call's lazy client load plus one retry on a busy machine.
  h = await setUpChatStream({ UPSTREAM_IDLE_TIMEOUT_MS: '3000', LOG_LEVEL: 'DEBUG' });
  auth = await bearer(CHAT_USER(USER));
});

afterEach(() => {
  vi.restoreAllMocks();
});

const storedRun = async (out: Capture) => {
  const runs = await loadRuns(h.runtime, out.lines[0]!.session_id as string);
  expect(runs).toHaveLength(1);
  return runs[0]!;
};

/** The run ended on exactly one error line, the last one, with nothing after it. */
const expectOneErrorLine = (out: Capture, message: string) => {
  expect(out.ofType('error')).toEqual([{ error: message, type: 'error' }]);
  expect(out.lines.at(-1)!.type).toBe('error');
  expect(out.ofType('metrics')).toEqual([]);
};

describe('upstream failures', () => {
  it.each([
    // The class, then the provider's own reason (the offline server's texts).
    [500, upstreamErrorLine(UPSTREAM_MSG.unavailable, 'Offline test server error 500.')],
    [429, upstreamErrorLine(UPSTREAM_MSG.rateLimited, 'Rate limit reached (offline test server).')],
    [404, upstreamErrorLine(UPSTREAM_MSG.rejected, 'Offline test server error 404.')],
  ])('HTTP %i before the first token: meta, run_info, one error line; the run stored as failed', async (status, message) => {
    const model = await h.addModel();
    const sent = h.modelServer.stats.requests.length;
    const out = await h.send({ modelId: model.modelId, message: `[[status=${status}]] hi` }, { authorization: auth });
    expect(out.lines.map((l) => l.type)).toEqual(['meta', 'run_info', 'error']);
    expectOneErrorLine(out, message);
    const run = await storedRun(out);
    expect(run).toMatchObject({ status: 'failed', content: '', error: message });
    expect(await readRunState(h.runtime, run.runId)).toBe('FAILED');
    // One retry for what may be transient (429, 5xx), none for a refusal.
    expect(h.modelServer.stats.requests.length - sent).toBe(status === 404 ? 1 : 2);
  });

  it('a dropped connection mid-stream keeps the partial text', async () => {
    const model = await h.addModel();
    const out = await h.send({ modelId: model.modelId, message: '[[interval=0 chunks=50 fail_after=7]] hi' }, { authorization: auth });
    expect(out.ofType('content')).toHaveLength(7);
    expectOneErrorLine(out, UPSTREAM_MSG.interrupted);
    const run = await storedRun(out);
    expect(run.status).toBe('failed');
    expect(run.content).toBe(out.text('content'));
    expect(run.content.length).toBeGreaterThan(0);
  });

  it('an error event mid-stream keeps the partial text, reasoning included', async () => {
    const model = await h.addModel({ supportReasoning: 'Y' });
    const out = await h.send({ modelId: model.modelId, message: '[[interval=0 chunks=50 error_after=5]] hi', isReasoning: true }, { authorization: auth });
    expect(out.ofType('content')).toHaveLength(5);
    expectOneErrorLine(out, upstreamErrorLine(UPSTREAM_MSG.unavailable, 'Offline test server failed mid-stream.'));
    const run = await storedRun(out);
    expect(run).toMatchObject({ status: 'failed', content: out.text('content'), reasoning: out.text('reasoning') });
    expect(run.reasoning).not.toBe('');
  });

  it('a stalled upstream is aborted after the idle timeout, its socket closed, the partial text kept', async () => {
    const model = await h.addModel();
    const aborted = h.modelServer.stats.aborted;
    const out = await h.send({ modelId: model.modelId, message: '[[interval=0 chunks=50 stall_after=3]] hi' }, { authorization: auth });
    expect(out.ofType('content')).toHaveLength(3);
    expectOneErrorLine(out, UPSTREAM_MSG.timeout);
    expect((await storedRun(out)).content).toBe(out.text('content'));
    await vi.waitFor(() => expect(h.modelServer.stats.aborted).toBe(aborted + 1), { timeout: 10_000 });
  });

  it('an upstream slow to send its first token is aborted the same way', async () => {
    const model = await h.addModel();
    const out = await h.send({ modelId: model.modelId, message: '[[delay=5000]] hi' }, { authorization: auth });
    expectOneErrorLine(out, UPSTREAM_MSG.timeout);
    expect((await storedRun(out)).content).toBe('');
  });

  it("stops before the function's time runs out and stores the run as failed", async () => {
    const model = await h.addModel();
    const out = await h.send(
      { modelId: model.modelId, message: '[[interval=0 chunks=50 stall_after=2]] hi' },
      // 100 ms of the function's time remain beyond the safety margin, less than the idle timeout.
      { authorization: auth, timeoutMs: 10_100 },
    );
    expectOneErrorLine(out, RUN_MSG.timeLimit);
    const run = await storedRun(out);
    expect(run).toMatchObject({ status: 'failed', content: out.text('content'), error: RUN_MSG.timeLimit });
  });
});

describe('stopping a run', () => {
  it('honours a cancel in the run-status item: upstream socket closed, partial text kept, no error line', async () => {
    const model = await h.addModel();
    const aborted = h.modelServer.stats.aborted;
    const { capture: out, done } = h.open({ modelId: model.modelId, message: '[[interval=10 chunks=2000]] go on' }, { authorization: auth });
    await out.until((lines) => lines.filter((l) => l.type === 'content').length >= 3);
    const runId = out.lines[1]!.run_id as string;
    await cancelRun(h.runtime, runId, String(USER));
    await done;

    expect(out.ofType('error')).toEqual([]);
    expect(out.ofType('metrics')).toEqual([]);
    expect(out.ofType('content').length).toBeLessThan(2000);
    const run = await storedRun(out);
    expect(run).toMatchObject({ runId, status: 'cancelled', content: out.text('content') });
    expect(await readRunState(h.runtime, runId)).toBe('CANCELLED');
    await vi.waitFor(() => expect(h.modelServer.stats.aborted).toBe(aborted + 1), { timeout: 10_000 });
  });

  it("someone else's cancel is refused and the run completes", async () => {
    const model = await h.addModel();
    const { capture: out, done } = h.open({ modelId: model.modelId, message: '[[interval=5 chunks=40]] go on' }, { authorization: auth });
    await out.until((lines) => lines.some((l) => l.type === 'run_info'));
    await expect(cancelRun(h.runtime, out.lines[1]!.run_id as string, '999')).rejects.toThrow('无权取消该运行');
    await done;
    expect(out.lines.at(-1)!.type).toBe('metrics');
    expect((await storedRun(out)).status).toBe('completed');
  });

  // Not a client going away: Lambda never tells the function that (test/integration/runtime-fidelity/ shows it).
  // The response stream itself breaking, as when the runtime's connection is lost, does stop the run.
  it('a response stream that breaks stops the upstream call; the run is stored as cancelled with its partial text', async () => {
    const model = await h.addModel();
    const aborted = h.modelServer.stats.aborted;
    const { capture: out, done } = h.open({ modelId: model.modelId, message: '[[interval=10 chunks=2000]] go on' }, { authorization: auth });
    await out.until((lines) => lines.filter((l) => l.type === 'content').length >= 3);
    const seen = out.text('content');
    out.destroy();
    // The invocation ends with the broken pipe, but only after the run is stored.
    await done.catch(() => {});

    const run = await storedRun(out);
    expect(run.status).toBe('cancelled');
    expect(run.content.startsWith(seen)).toBe(true);
    expect(run.content.length).toBeLessThan(2000 * 3);
    expect(await readRunState(h.runtime, run.runId)).toBe('CANCELLED');
    await vi.waitFor(() => expect(h.modelServer.stats.aborted).toBe(aborted + 1), { timeout: 10_000 });
  });
});

describe('logs', () => {
  it('carry the request keys and never the API key or the message text, even at debug level', async () => {
    const model = await h.addModel({ apiKey: API_KEY });
    const secretText = 'my-private-question-7f3a9';
    const logs = captureLogs();
    const ok = await h.send({ modelId: model.modelId, message: `[[interval=0]] ${secretText}` }, { authorization: auth });
    // A provider that echoes the rejected key back in its error.
    const rejected = await h.send({ modelId: model.modelId, message: `[[status=401]] ${secretText}` }, { authorization: auth });
    logs.stop();

    expect(h.modelServer.stats.requests.at(-1)!.authorization).toBe(`Bearer ${API_KEY}`);
    expectOneErrorLine(rejected, upstreamErrorLine(UPSTREAM_MSG.auth, 'Incorrect API key provided: [已隐藏].'));
    expect(logs.text).not.toContain(API_KEY);
    expect(logs.text).not.toContain(secretText);

    const entries = logs.entries();
    const finished = entries.filter((e) => e.message === 'run finished');
    expect(finished.map((e) => e.runId)).toEqual([ok.lines[1]!.run_id, rejected.lines[1]!.run_id]);
    for (const e of finished) {
      expect(e).toMatchObject({ userId: String(USER), function_request_id: expect.any(String) });
      expect(e.sessionId).toBeTruthy();
    }
    const failure = entries.find((e) => e.message === 'model call failed');
    expect(JSON.stringify(failure)).toContain('[已隐藏]');
  });
});
