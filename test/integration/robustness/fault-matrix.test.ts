import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createLocalCipher } from '../../../lambdas/core/crypto/local-cipher.ts';
import { nextModelId } from '../../../lambdas/core/models/repository.ts';
import type { Provider } from '../../../lambdas/core/models/providers.ts';
import type { StoredModel } from '../../../lambdas/core/models/schema.ts';
import { type RunState, readRunState } from '../../../lambdas/core/sessions/run-status.ts';
import type { SqsHandler } from '../../../local/sqs-event-source.ts';
import { loadRuns } from '../../../lambdas/core/sessions/run-store.ts';
import type { RunOutcome } from '../../../lambdas/core/sessions/types.ts';
import { setUpChatStream, type Capture, type ChatStreamHarness } from '../chat-stream/support.ts';
import { bearer, CHAT_USER } from '../../support/tokens.ts';
import { startDbProxy, type DbCall, type DbError, type DbProxy } from '../../support/db-proxy.ts';
import { failCaseOnUnhandledRejection } from './support/rejections.ts';
import { changedItems, directStore, dumpTables, type Store } from './support/tables.ts';
import { REFUSAL_MSG, RUN_MSG, UPSTREAM_MSG, upstreamErrorLine } from '../../../lambdas/core/wire/messages.ts';

/**
 * The fault matrix: every way a chat turn can break, each checked for the same four
 * outcomes. (1) The client is told once: a JSON envelope when the fault comes before
 * streaming, otherwise exactly one closing line, last: `error`, or `metrics` where a
 * retry recovered. (2) The run is stored with its terminal status and the text streamed
 * so far, and nothing else was written: the table dumps before and after differ by
 * exactly the run's own items. (3) The run-status item is terminal. (4) No promise
 * rejection went unhandled.
 *
 * The handler reaches DynamoDB through a proxy that drops chosen calls, answers them
 * with DynamoDB errors, or closes its port; the assertions read DynamoDB Local directly.
 *
 * What a database fault allows: DynamoDB's passing failures are waited out within the
 * storage patience (set short here). A run whose status item cannot be created in that
 * time never starts (meta, then the error line that says storage is unavailable; nothing
 * of it stored). A run DynamoDB does not take at its end is kept in the kept-runs queue,
 * its one closing line says so, and the drain stores it, as it was streamed, once
 * DynamoDB answers again; a run the queue cannot take either is told lost, and its
 * status reads FAILED once its invocation's deadline has passed. No run stays RUNNING.
 */

const USER = 71;
// Above a first call's lazy client load plus one retry on a busy machine (1 s was not).
const IDLE_TIMEOUT_MS = 3000;
/** How long a write on the path waits out DynamoDB here (15 s in a deployment). */
const PATIENCE_MS = 1500;

let proxy: DbProxy;
let h: ChatStreamHarness;
let store: Store;
let auth: string;

failCaseOnUnhandledRejection();

beforeAll(async () => {
  proxy = await startDbProxy(inject('ddbEndpoint'));
  h = await setUpChatStream(
    {
      DYNAMODB_ENDPOINT: proxy.endpoint,
      UPSTREAM_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
      RATE_LIMIT_SENDS_PER_MINUTE: '1000',
      STORAGE_PATIENCE_MS: String(PATIENCE_MS),
    },
    { drainTimeoutMs: 4_000, visibilityTimeoutMs: 4_500 },
  );
  // The drain reaches DynamoDB through the same proxy: it stores kept runs once the fault is gone.
  h.keptRuns.startDrain((await import('../../../lambdas/drain/handler.ts')).handler as unknown as SqsHandler);
  store = directStore();
  auth = await bearer(CHAT_USER(USER));
});

afterEach(async () => {
  proxy.setFault(() => 'pass');
  h.keptRuns.server.setDown(false);
  await proxy.restore();
});

afterAll(async () => {
  await h.keptRuns.stop();
  await proxy.close();
});

type Api = 'chat completions' | 'responses';
const PROVIDER: Record<Api, Provider> = { 'chat completions': 'OpenAI', responses: 'OpenAIResponses' };

/** How the client was told, and what must be stored. */
type Expected =
  | { told: 'envelope'; code: number; msg: string; changes: 'none' | 'rate counter' }
  | {
      told: 'error line' | 'metrics line' | 'nothing (client gone)';
      error?: string;
      /** Absent: the run was not stored (its final write failed, nor was it kept). */
      stored?: RunOutcome;
      /** Stored by the drain from the kept-runs queue, once DynamoDB answered again, not by the stream. */
      kept?: true;
      state: RunState;
      /** Whether some reply text had streamed before the fault. */
      partial: boolean;
      /** The run stopped the upstream call itself: the model server saw its socket closed. */
      upstreamAborted?: boolean;
    }
  | { told: 'error line'; error: string; notStarted: true };

interface FaultCase {
  name: string;
  /** The provider API the turn goes through (set for every case when the matrix is built). */
  api?: Api;
  /** Directives for the offline model server and the text. */
  message: string;
  isReasoning?: boolean;
  /** The function's timeout as Lambda reports it. */
  timeoutMs?: number;
  /** Fields of the model the turn uses. */
  model?: () => Promise<Partial<StoredModel>>;
  /** Sets the fault up just before the send. */
  arrange?: () => Promise<void> | void;
  /** Acts while the stream is open. */
  during?: (out: Capture) => Promise<void>;
  /** Calls that carried the final write: the retries the fault led to. */
  finalWriteAttempts?: number;
  expected: Expected;
}

const contentLines = (n: number) => (lines: Capture['lines']) => lines.filter((l) => l.type === 'content').length >= n;

/** The transaction that stores a finished run: the only call holding a `RUN#` item. */
const isFinalWrite = (call: DbCall) => call.operation === 'TransactWriteItems' && call.body.includes('"S":"RUN#');
/** The transaction that creates the run-status item before the model is called. */
const isRunStart = (call: DbCall) => call.operation === 'TransactWriteItems' && call.body.includes('"S":"RUNSTATUS#');
/** DynamoDB's answer when another transaction held an item of this one. */
const CONFLICT: DbError = {
  error: 'TransactionCanceledException',
  fields: {
    Message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict, None]',
    CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' }, { Code: 'None' }],
  },
};

/** Faults of the model provider, played by the offline model server; run through both APIs. */
const UPSTREAM_FAULTS: FaultCase[] = [
  {
    name: 'HTTP 401 before the first token',
    message: '[[status=401]] hi',
    expected: {
      told: 'error line',
      error: upstreamErrorLine(UPSTREAM_MSG.auth, 'Incorrect API key provided: [已隐藏].'),
      stored: 'failed',
      state: 'FAILED',
      partial: false,
    },
  },
  {
    name: 'HTTP 429 before the first token',
    message: '[[status=429]] hi',
    expected: {
      told: 'error line',
      error: upstreamErrorLine(UPSTREAM_MSG.rateLimited, 'Rate limit reached (offline test server).'),
      stored: 'failed',
      state: 'FAILED',
      partial: false,
    },
  },
  {
    name: 'HTTP 500 before the first token',
    message: '[[status=500]] hi',
    expected: {
      told: 'error line',
      error: upstreamErrorLine(UPSTREAM_MSG.unavailable, 'Offline test server error 500.'),
      stored: 'failed',
      state: 'FAILED',
      partial: false,
    },
  },
  {
    name: 'connection reset mid-stream',
    message: '[[interval=0 chunks=50 fail_after=3]] hi',
    isReasoning: true,
    expected: { told: 'error line', error: UPSTREAM_MSG.interrupted, stored: 'failed', state: 'FAILED', partial: true },
  },
  {
    name: 'error event mid-stream',
    message: '[[interval=0 chunks=50 error_after=3]] hi',
    expected: {
      told: 'error line',
      error: upstreamErrorLine(UPSTREAM_MSG.unavailable, 'Offline test server failed mid-stream.'),
      stored: 'failed',
      state: 'FAILED',
      partial: true,
    },
  },
  {
    name: 'malformed SSE chunk mid-stream',
    message: '[[interval=0 chunks=50 malformed_after=3]] hi',
    expected: { told: 'error line', error: UPSTREAM_MSG.interrupted, stored: 'failed', state: 'FAILED', partial: true },
  },
  {
    name: 'upstream stalls past the idle timeout mid-stream',
    message: '[[interval=0 chunks=50 stall_after=3]] hi',
    expected: { told: 'error line', error: UPSTREAM_MSG.timeout, stored: 'failed', state: 'FAILED', partial: true, upstreamAborted: true },
  },
  {
    name: 'upstream silent past the idle timeout before the first token',
    message: `[[delay=${IDLE_TIMEOUT_MS * 5}]] hi`,
    expected: { told: 'error line', error: UPSTREAM_MSG.timeout, stored: 'failed', state: 'FAILED', partial: false, upstreamAborted: true },
  },
  {
    name: "the function's remaining time runs out mid-reply",
    message: '[[interval=50 chunks=1000]] hi',
    // 800 ms of the function's time remain beyond the 10 s safety margin.
    timeoutMs: 10_800,
    expected: { told: 'error line', error: RUN_MSG.timeLimit, stored: 'failed', state: 'FAILED', partial: true, upstreamAborted: true },
  },
  {
    // Lambda never tells the function that its client left; a broken response stream it does notice.
    name: 'the response stream breaks mid-reply',
    message: '[[interval=10 chunks=2000]] hi',
    during: async (out) => {
      await out.until(contentLines(3));
      out.destroy();
    },
    expected: { told: 'nothing (client gone)', stored: 'cancelled', state: 'CANCELLED', partial: true, upstreamAborted: true },
  },
];

/** Faults of the platform around the run: the key cipher, DynamoDB. */
const PLATFORM_FAULTS: FaultCase[] = [
  {
    name: 'KMS decrypt failure (key encrypted under another key)',
    message: 'hi',
    model: async () => {
      const modelId = await nextModelId(h.runtime);
      const foreign = createLocalCipher(randomBytes(32));
      return { modelId, apiKeyCipher: await foreign.encrypt('sk-from-elsewhere', { modelId }) };
    },
    // The send was well formed and authenticated, so it counted against the caller's limit.
    expected: { told: 'envelope', code: 500, msg: REFUSAL_MSG.keyDecrypt, changes: 'rate counter' },
  },
  {
    name: 'DynamoDB unreachable when the request arrives (waited out, then refused as storage unavailable)',
    message: 'hi',
    arrange: () => proxy.cut(),
    expected: { told: 'envelope', code: 500, msg: REFUSAL_MSG.storageUnavailable, changes: 'none' },
  },
  {
    name: 'DynamoDB drops the run-status write at run start (retried until the start deadline)',
    message: 'hi',
    arrange: () => proxy.setFault((call) => (isRunStart(call) ? 'reset' : 'pass')),
    expected: { told: 'error line', error: RUN_MSG.storageUnavailable, notStarted: true },
  },
  {
    name: 'DynamoDB cancels the final write once on a transaction conflict (retried, then stored)',
    message: '[[interval=0 chunks=20]] hi',
    arrange: () => {
      let conflicts = 0;
      proxy.setFault((call) => (isFinalWrite(call) && conflicts++ === 0 ? CONFLICT : 'pass'));
    },
    finalWriteAttempts: 2,
    expected: { told: 'metrics line', stored: 'completed', state: 'COMPLETED', partial: true },
  },
  {
    name: 'DynamoDB answers the final write after applying it, the answer is lost (read back: stored)',
    message: '[[interval=0 chunks=20]] hi',
    arrange: () => {
      let lost = 0;
      proxy.setFault((call) => (isFinalWrite(call) && lost++ === 0 ? 'apply then reset' : 'pass'));
    },
    expected: { told: 'metrics line', stored: 'completed', state: 'COMPLETED', partial: true },
  },
  {
    name: 'DynamoDB drops every final write (kept, then stored by the drain)',
    message: '[[interval=0 chunks=20]] hi',
    arrange: () => proxy.setFault((call) => (isFinalWrite(call) ? 'reset' : 'pass')),
    expected: { told: 'error line', error: RUN_MSG.replyKept, stored: 'completed', kept: true, state: 'COMPLETED', partial: true },
  },
  {
    name: 'DynamoDB throttles every final write (kept, then stored by the drain)',
    message: '[[interval=0 chunks=20]] hi',
    arrange: () => proxy.setFault((call) => (isFinalWrite(call) ? { error: 'ThrottlingException' } : 'pass')),
    expected: { told: 'error line', error: RUN_MSG.replyKept, stored: 'completed', kept: true, state: 'COMPLETED', partial: true },
  },
  {
    // 1 s of the function's time beyond the safety margin, time enough for the reply; the
    // store may then wait until 5 s before the end (kept back for the queue and the close):
    // its attempts are cut there, and the run is kept.
    name: 'DynamoDB hangs at the final write (given up before the function’s end, kept, then stored by the drain)',
    message: '[[interval=0 chunks=20]] hi',
    timeoutMs: 11_000,
    arrange: () => proxy.setFault((call) => (isFinalWrite(call) ? 'hang' : 'pass')),
    expected: { told: 'error line', error: RUN_MSG.replyKept, stored: 'completed', kept: true, state: 'COMPLETED', partial: true },
  },
  {
    name: 'DynamoDB unreachable from mid-reply to the end (kept, then stored by the drain)',
    message: '[[interval=20 chunks=30]] hi',
    during: async (out) => {
      await out.until(contentLines(2));
      await proxy.cut();
    },
    expected: { told: 'error line', error: RUN_MSG.replyKept, stored: 'completed', kept: true, state: 'COMPLETED', partial: true },
  },
  {
    // The invocation ends 15 s after it starts (5 s for the reply, on a busy machine too): its status is read FAILED once that has passed.
    name: 'DynamoDB and the kept-runs queue both unreachable at the end (lost, said so, never RUNNING)',
    message: '[[interval=20 chunks=30]] hi',
    timeoutMs: 15_000,
    during: async (out) => {
      await out.until(contentLines(2));
      h.keptRuns.server.setDown(true);
      await proxy.cut();
    },
    expected: { told: 'error line', error: RUN_MSG.saveFailed, state: 'FAILED', partial: true },
  },
];

const CASES: FaultCase[] = [
  ...UPSTREAM_FAULTS.map((c): FaultCase => ({ ...c, api: 'chat completions' })),
  ...UPSTREAM_FAULTS.map((c): FaultCase => ({ ...c, api: 'responses' })),
  ...PLATFORM_FAULTS.map((c): FaultCase => ({ ...c, api: 'chat completions' })),
];

/** (1) Told once: the envelope alone, or the stream's lines ending on their one closing line. */
const expectToldOnce = (out: Capture, expected: Expected) => {
  if (expected.told === 'envelope') {
    expect(out.isStream).toBe(false);
    expect(out.prelude?.headers?.['content-type']).toMatch(/^application\/json/);
    expect(out.envelope).toMatchObject({ code: expected.code, msg: expected.msg, success: false });
    return;
  }
  expect(out.isStream).toBe(true);
  const types = out.lines.map((l) => l.type);
  expect(types[0]).toBe('meta');
  if (expected.told === 'nothing (client gone)') {
    expect(out.ofType('error')).toEqual([]);
    expect(out.ofType('metrics')).toEqual([]);
    return;
  }
  expect(out.raw.endsWith('\n')).toBe(true);
  if (expected.told === 'metrics line') {
    expect(out.ofType('error')).toEqual([]);
    expect(out.ofType('metrics')).toHaveLength(1);
    expect(types.at(-1)).toBe('metrics');
    return;
  }
  expect(out.ofType('metrics')).toEqual([]);
  expect(out.ofType('error')).toEqual([{ error: expected.error, type: 'error' }]);
  expect(types.at(-1)).toBe('error');
  if ('notStarted' in expected) expect(types).toEqual(['meta', 'error']);
  else expect(types[1]).toBe('run_info');
};

describe.each(CASES)('fault: $name ($api)', (c) => {
  it('tells the client once, stores what it can, leaves no run RUNNING that could be finished', async () => {
    const model = await h.addModel({ provider: PROVIDER[c.api!], supportReasoning: 'Y', ...(await c.model?.()) });
    const before = await dumpTables(store);
    const aborted = h.modelServer.stats.aborted;
    const callsBefore = proxy.calls.length;
    await c.arrange?.();

    const { capture: out, done } = h.open(
      { modelId: model.modelId, message: c.message, isReasoning: c.isReasoning ?? null },
      { authorization: auth, timeoutMs: c.timeoutMs },
    );
    await c.during?.(out);
    // A client that left sees the invocation end on the broken pipe, once the run is stored.
    await (c.expected.told === 'nothing (client gone)' ? done.catch(() => {}) : done);
    await proxy.restore();
    proxy.setFault(() => 'pass');

    expectToldOnce(out, c.expected);
    const expected = c.expected;
    // A kept run is in its session once the drain stored it, within the queue's redelivery.
    if ('kept' in expected && expected.kept) {
      const sessionId = out.lines[0]!.session_id as string;
      await vi.waitFor(async () => expect(await loadRuns(store, sessionId)).toHaveLength(1), { timeout: 20_000, interval: 100 });
    }
    const after = await dumpTables(store);

    if (expected.told === 'envelope') {
      expect(changedItems(before, after)).toEqual(expected.changes === 'none' ? [] : [`RATE#${USER}#send`]);
      return;
    }
    const sessionId = out.lines[0]!.session_id as string;
    if ('notStarted' in expected) {
      // The run never existed: only the send counter moved, and the write was tried until the start deadline.
      expect(changedItems(before, after)).toEqual([`RATE#${USER}#send`]);
      expect(proxy.calls.slice(callsBefore).filter(isRunStart).length).toBeGreaterThan(3);
      return;
    }

    const runId = out.lines[1]!.run_id as string;
    const streamed = { content: out.text('content'), reasoning: out.text('reasoning') };
    expect(streamed.content !== '', 'some text streamed before the fault').toBe(expected.partial);

    // (2) The run and its partial text, and nothing half-written.
    const runs = await loadRuns(store, sessionId);
    const runItems = [`RATE#${USER}#send`, `RUNSTATUS#${runId} STATUS`, `SESSION#${sessionId} ACTIVE#${runId}`];
    if (expected.stored) {
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ runId, status: expected.stored, ...streamed });
      // A kept run's closing line is about its store, not how the run ended.
      expect(runs[0]!.error).toBe(expected.kept ? undefined : expected.error);
      runItems.push(`SESSION#${sessionId} HEADER`, `SESSION#${sessionId} RUN#`);
    } else {
      expect(runs).toEqual([]);
      expect(after.sessions.filter((item) => item.pk === `SESSION#${sessionId}`).map((item) => item.sk)).toEqual([`ACTIVE#${runId}`]);
    }
    if (c.finalWriteAttempts) expect(proxy.calls.slice(callsBefore).filter(isFinalWrite)).toHaveLength(c.finalWriteAttempts);
    const changed = changedItems(before, after);
    const isUsage = (key: string) => key.startsWith('CNT#') || key.startsWith('USAGE#');
    expect(changed.filter((key) => !isUsage(key))).toEqual(runItems.sort());
    // The run's usage rides in its final write: its ledger entry and counters exactly when the run is stored.
    expect(changed.filter((key) => key.startsWith('USAGE#') && key.endsWith(`#${runId}`))).toHaveLength(expected.stored ? 1 : 0);
    expect(changed.some((key) => key.startsWith('CNT#'))).toBe(Boolean(expected.stored));

    // (3) The run-status item, as readers take it: a run nobody could store reads FAILED once its invocation is over.
    await vi.waitFor(async () => expect(await readRunState(store, runId)).toBe(expected.state), { timeout: 20_000, interval: 200 });
    if (expected.upstreamAborted) await vi.waitFor(() => expect(h.modelServer.stats.aborted).toBe(aborted + 1), { timeout: 10_000 });
    // (4) is checked after each case by failCaseOnUnhandledRejection.
  });
});
