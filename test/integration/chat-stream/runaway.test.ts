import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { Send } from '../../../lambdas/core/db/client.ts';
import { cancelRun, readRunState } from '../../../lambdas/core/sessions/run-status.ts';
import { loadRuns } from '../../../lambdas/core/sessions/run-store.ts';
import { bearer, CHAT_USER } from '../../support/tokens.ts';
import { setUpChatStream, type Capture, type ChatStreamHarness } from './support.ts';
import { RUN_MSG } from '../../../lambdas/core/wire/messages.ts';

let h: ChatStreamHarness;
let auth: string;
const USER = 64;
const MAX_REPLY_CHARS = 1_000_000;
/** What the model server may have sent while the run waits for a client that reads nothing: its sockets' buffers, not the reply. */
const UNREAD_BYTES_BOUND = 32 * 1024 * 1024;

beforeAll(async () => {
  h = await setUpChatStream({ MAX_REPLY_CHARS: String(MAX_REPLY_CHARS) });
  auth = await bearer(CHAT_USER(USER));
});

const storedRun = async (out: Capture) => {
  const runs = await loadRuns(h.runtime, out.lines[0]!.session_id as string);
  expect(runs).toHaveLength(1);
  return runs[0]!;
};

const expectEndsOn = (out: Capture, message: string) => {
  expect(out.ofType('error')).toEqual([{ error: message, type: 'error' }]);
  expect(out.lines.at(-1)!.type).toBe('error');
  expect(out.ofType('metrics')).toEqual([]);
};

/** The process still serves runs: a normal one completes. */
const expectAlive = async (modelId: number) => {
  const out = await h.send({ modelId, message: '[[interval=0 chunks=5]] still there?' }, { authorization: auth });
  expect(out.ofType('metrics')).toHaveLength(1);
};

/** Counts the run-status polls of the watchdog: a measure of time passing that is not a clock. */
const countStatusPolls = () => {
  const counter = { polls: 0, stop: () => {} };
  counter.stop = h.runtime.db.use(
    (next: Send): Send =>
      (operation, input) => {
        if (operation === 'GetItem' && String((input.Key as { pk?: string }).pk).startsWith('RUNSTATUS#')) counter.polls += 1;
        return next(operation, input);
      },
  );
  return counter;
};

describe('a reply without end', () => {
  it('stops at the bound with its own error line, stored as failed with what fit, and the process goes on', async () => {
    const model = await h.addModel();
    // 9973 does not divide the bound: the chunk that crosses it is cut to what fits.
    const out = await h.send({ modelId: model.modelId, message: '[[endless size=9973]] go' }, { authorization: auth });
    expectEndsOn(out, RUN_MSG.replyTooLong);
    expect(out.text('content')).toHaveLength(MAX_REPLY_CHARS);
    const run = await storedRun(out);
    expect(run).toMatchObject({ status: 'failed', error: RUN_MSG.replyTooLong });
    expect(run.content).toBe(out.text('content'));
    expect(await readRunState(h.runtime, run.runId)).toBe('FAILED');
    await vi.waitFor(() => expect(h.modelServer.stats.openConnections).toBeLessThanOrEqual(1), { timeout: 10_000 });
    await expectAlive(model.modelId);
  });

  it('a data line that never ends is stopped at its bound, the run stored as failed', async () => {
    const model = await h.addModel();
    const out = await h.send({ modelId: model.modelId, message: '[[endless_line]] go' }, { authorization: auth });
    expectEndsOn(out, RUN_MSG.replyTooLong);
    const run = await storedRun(out);
    expect(run).toMatchObject({ status: 'failed', content: '', error: RUN_MSG.replyTooLong });
    await expectAlive(model.modelId);
  });
});

describe('a client that reads nothing', () => {
  it('pauses the provider (its socket stays full, nothing more is sent) until the client reads; a cancel still ends the run', async () => {
    const model = await h.addModel();
    const { stats } = h.modelServer;
    const sentBefore = stats.bytesSent;
    const { capture: out, done } = h.open({ modelId: model.modelId, message: '[[endless size=100]] go' }, { authorization: auth });
    await out.until((lines) => lines.some((l) => l.type === 'run_info'));
    out.pause();
    const polls = countStatusPolls();
    try {
      // Settled: the server has been waiting on the same full socket across 20 polls of the
      // run (half a second at least), and sent nothing meanwhile. A stack that kept reading
      // would make the server send on, past the bound below.
      let settled = false;
      while (!settled) {
        await vi.waitFor(() => expect(stats.waitingForDrain > 0 || stats.bytesSent - sentBefore > UNREAD_BYTES_BOUND).toBe(true), { timeout: 20_000 });
        expect(stats.bytesSent - sentBefore).toBeLessThan(UNREAD_BYTES_BOUND);
        const at = { waits: stats.drainWaits, bytes: stats.bytesSent, polls: polls.polls };
        await vi.waitFor(() => expect(polls.polls).toBeGreaterThanOrEqual(at.polls + 20), { timeout: 20_000 });
        settled = stats.waitingForDrain > 0 && stats.drainWaits === at.waits && stats.bytesSent === at.bytes;
      }
      expect(out.text('content').length).toBeLessThan(MAX_REPLY_CHARS);

      // The watchdog still polls while the run waits: a cancel ends the call, read or not.
      const aborted = stats.aborted;
      await cancelRun(h.runtime, out.lines[1]!.run_id as string, String(USER));
      await vi.waitFor(() => expect(stats.aborted).toBe(aborted + 1), { timeout: 20_000 });
    } finally {
      polls.stop();
    }
    out.resume();
    await done;
    expect(out.ofType('error')).toEqual([]);
    const run = await storedRun(out);
    expect(run).toMatchObject({ status: 'cancelled', content: out.text('content') });
    expect(run.content.length).toBeLessThan(MAX_REPLY_CHARS);
  });
});

describe("a run's end", () => {
  it('never throws out of the run when the store fails in an unexpected way', async () => {
    const model = await h.addModel();
    const marker = 'store-fails-synchronously';
    const remove = h.runtime.db.use(
      (next: Send): Send =>
        (operation, input) => {
          const text = JSON.stringify(input);
          const finalWrite = operation === 'TransactWriteItems' && text.includes(marker);
          const markFailed = operation === 'UpdateItem' && text.includes('RUNSTATUS#') && text.includes('"FAILED"');
          // Not a rejected promise: a throw in the caller's own stack, as a bug would do.
          if (finalWrite || markFailed) throw new RangeError('injected store failure');
          return next(operation, input);
        },
    );
    try {
      const out = await h.send({ modelId: model.modelId, message: `[[interval=0 chunks=5]] ${marker}` }, { authorization: auth });
      expect(out.text('content')).not.toBe('');
      expectEndsOn(out, RUN_MSG.saveFailed);
    } finally {
      remove();
    }
    await expectAlive(model.modelId);
  });
});
