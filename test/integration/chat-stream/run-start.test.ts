import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { deleteSession } from '../../../lambdas/core/sessions/delete-session.ts';
import { getSessionHeader, loadRuns } from '../../../lambdas/core/sessions/run-store.ts';
import { bearer, CHAT_USER } from '../../support/tokens.ts';
import { setUpChatStream, type ChatStreamHarness } from './support.ts';
import { RUN_MSG, UPSTREAM_MSG } from '../../../lambdas/core/wire/messages.ts';

/**
 * The model call starts beside the run-status write (the provider's first token is the
 * slow part), yet a run streams nothing before `run_info`: its status item exists before
 * any line of the model's, so every line can be cancelled. Here the write really goes to
 * DynamoDB Local, held back for a while by a wrapper on the runtime's own client.
 */
let h: ChatStreamHarness;
let auth: string;
const USER = 81;
const HOLD_MS = 300;
/** Takes the hold off the runtime's client again. */
let release = () => {};

beforeAll(async () => {
  h = await setUpChatStream();
  auth = await bearer(CHAT_USER(USER));
});

afterEach(() => {
  release();
});

const isRunStatusWrite = (operation: string, input: unknown) => operation === 'TransactWriteItems' && JSON.stringify(input).includes('RUNSTATUS#');

/** Holds the run-status write back for HOLD_MS, then sends it on (or fails it); notes how many requests the model server had by then. */
const holdRunStatusWrite = (outcome: 'write' | 'fail') => {
  const seen = { requestsAfter: -1 };
  release = h.runtime.db.use((next) => async (operation, input) => {
    if (!isRunStatusWrite(operation, input)) return next(operation, input);
    await new Promise((r) => setTimeout(r, HOLD_MS));
    seen.requestsAfter = h.modelServer.stats.requests.length;
    if (outcome === 'fail') throw Object.assign(new Error('run status write refused'), { name: 'InternalServerError' });
    return next(operation, input);
  });
  return seen;
};

describe('run start', () => {
  it('calls the model while the status item is written, and reads its reply only after run_info', async () => {
    const model = await h.addModel();
    const sent = h.modelServer.stats.requests.length;
    const seen = holdRunStatusWrite('write');
    const out = await h.send({ modelId: model.modelId, message: '[[delay=0 interval=0 chunks=20]] hi' }, { authorization: auth });

    expect(seen.requestsAfter, 'the model was called before the status write went out').toBe(sent + 1);
    const types = out.lines.map((l) => l.type);
    expect(types).toEqual(['meta', 'run_info', ...Array(20).fill('content'), 'metrics']);
    const [stored] = await loadRuns(h.runtime, out.lines[0]!.session_id as string);
    expect(stored!.content).toBe(out.text('content'));
    expect(stored!.status).toBe('completed');
  });

  it('keeps what the model sent before it dropped the connection during the status write', async () => {
    const model = await h.addModel();
    holdRunStatusWrite('write');
    const out = await h.send({ modelId: model.modelId, message: '[[delay=0 interval=0 chunks=50 fail_after=7]] hi' }, { authorization: auth });

    expect(out.lines.map((l) => l.type)).toEqual(['meta', 'run_info', ...Array(7).fill('content'), 'error']);
    expect(out.ofType('error')[0]!.error).toBe(UPSTREAM_MSG.interrupted);
    const [stored] = await loadRuns(h.runtime, out.lines[0]!.session_id as string);
    expect(stored).toMatchObject({ status: 'failed', content: out.text('content') });
  });

  it('writes no status item before the checks answered, for a new session or a follow-up', async () => {
    const model = await h.addModel();
    const user = await bearer(CHAT_USER(USER + 1));
    let statusWrites = 0;
    const atCheckEnd: number[] = [];
    release = h.runtime.db.use((next) => async (operation, input) => {
      // The creation, not the run's final store (which also updates the item).
      if (isRunStatusWrite(operation, input) && JSON.stringify(input).includes('"status":"RUNNING"')) statusWrites++;
      if (operation === 'UpdateItem' && JSON.stringify(input).includes('RATE#')) {
        await new Promise((r) => setTimeout(r, HOLD_MS));
        atCheckEnd.push(statusWrites);
      }
      return next(operation, input);
    });
    const send = (body: Record<string, unknown>) => h.send({ modelId: model.modelId, ...body }, { authorization: user });
    const first = await send({ message: '[[interval=0]] first' });
    const again = await send({ message: '[[interval=0]] new session, user just accepted' });
    const followUp = await send({ message: '[[interval=0]] follow-up', sessionId: again.lines[0]!.session_id });

    expect(atCheckEnd).toEqual([0, 1, 2]);
    expect(statusWrites).toBe(3);
    for (const out of [first, again, followUp]) expect(out.ofType('metrics')).toHaveLength(1);
  });

  it('sends every check of a new session and of a follow-up in one round: all out before any answered', async () => {
    const model = await h.addModel();
    const user = await bearer(CHAT_USER(USER + 2));
    const send = (body: Record<string, unknown>) => h.send({ modelId: model.modelId, ...body }, { authorization: user });
    const first = await send({ message: '[[interval=0]] first' });
    /** The first `count` requests of the next send wait until all of them went out (or 3 s passed: then the test fails). */
    const gateChecks = (count: number) => {
      const seen: { operation: string; answeredBefore: number }[] = [];
      let answered = 0;
      let open = () => {};
      const gate = new Promise<void>((r) => {
        open = r;
      });
      release = h.runtime.db.use((next) => async (operation, input) => {
        if (seen.length >= count) return next(operation, input);
        seen.push({ operation, answeredBefore: answered });
        if (seen.length === count) open();
        await Promise.race([gate, new Promise((r) => setTimeout(r, 3000))]);
        return next(operation, input).finally(() => answered++);
      });
      return seen;
    };
    const newSession = gateChecks(2);
    expect((await send({ message: '[[interval=0]] new' })).ofType('metrics')).toHaveLength(1);
    release();
    const followUp = gateChecks(4);
    expect((await send({ message: '[[interval=0]] again', sessionId: first.lines[0]!.session_id })).ofType('metrics')).toHaveLength(1);

    // The rate limit, the model and config together, then (a follow-up) the session's claim and its history.
    expect(newSession).toEqual(['UpdateItem', 'BatchGetItem'].map((operation) => ({ operation, answeredBefore: 0 })));
    expect(followUp).toEqual(['UpdateItem', 'BatchGetItem', 'UpdateItem', 'Query'].map((operation) => ({ operation, answeredBefore: 0 })));
  });

  it('does not bring back a session deleted while a follow-up was starting: the reply ends on the save error', async () => {
    const model = await h.addModel();
    const first = await h.send({ modelId: model.modelId, message: '[[interval=0]] first' }, { authorization: auth });
    const sessionId = first.lines[0]!.session_id as string;
    // The delete lands after the follow-up's checks, before its status item exists: it finds no run to stop.
    release = h.runtime.db.use((next) => async (operation, input) => {
      if (isRunStatusWrite(operation, input) && JSON.stringify(input).includes('"status":"RUNNING"')) {
        await deleteSession(h.runtime, sessionId, String(USER));
      }
      return next(operation, input);
    });
    const out = await h.send({ modelId: model.modelId, message: '[[interval=0]] follow-up', sessionId }, { authorization: auth });

    expect(out.ofType('error')).toEqual([{ error: RUN_MSG.saveFailed, type: 'error' }]);
    expect(await getSessionHeader(h.runtime, sessionId)).toBeUndefined();
    expect(await loadRuns(h.runtime, sessionId)).toEqual([]);
  });

  it('aborts the model call and streams none of it when the status item cannot be written', async () => {
    const model = await h.addModel();
    const aborted = h.modelServer.stats.aborted;
    const sent = h.modelServer.stats.requests.length;
    const seen = holdRunStatusWrite('fail');
    const out = await h.send({ modelId: model.modelId, message: '[[delay=0 interval=50 chunks=200]] hi' }, { authorization: auth });

    expect(seen.requestsAfter).toBe(sent + 1);
    expect(out.lines.map((l) => l.type)).toEqual(['meta', 'error']);
    expect(out.ofType('error')[0]!.error).toBe(RUN_MSG.startFailed);
    await vi.waitFor(() => expect(h.modelServer.stats.aborted).toBe(aborted + 1), { timeout: 10_000 });
    expect(await loadRuns(h.runtime, out.lines[0]!.session_id as string)).toEqual([]);
  });
});
