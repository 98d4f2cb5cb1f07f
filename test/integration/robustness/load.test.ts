import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLocalServer, type ApiHandler, type StreamHandler } from '../../../local/server.ts';
import { SUMMED_METRICS, type RunRecord } from '../../../lambdas/core/sessions/types.ts';
import { headerFromItem, loadRuns } from '../../../lambdas/core/sessions/run-store.ts';
import { setUpChatStream, type ChatStreamHarness } from '../chat-stream/support.ts';
import { bearer, CHAT_USER } from '../../support/tokens.ts';
import { failCaseOnUnhandledRejection } from './support/rejections.ts';
import { callStream, type StreamCall, type StreamLine } from './support/stream-client.ts';
import { directStore, sessionItemsWithPrefix, type Store } from './support/tables.ts';

/**
 * Load: 50 sends at once through the local HTTP server running the real handlers, ten
 * users, some continuing the same sessions side by side, with random cancels (the stop
 * button) and some clients leaving mid-reply. Afterwards: every run stored with a
 * terminal status that matches its run-status item, every session holding exactly the
 * runs its clients saw (run count and summed metrics included), no run-status item
 * RUNNING. Only invariants are asserted, never timings.
 */

const SENDS = 50;
const USERS = Array.from({ length: 10 }, (_, i) => String(101 + i));
/** Sends that continue a session made beforehand, two per user, side by side. */
const CONTINUING = 20;
const SEED = Number(process.env.LOAD_SEED ?? 20261124);

/** A small seeded generator, so a failing mix can be replayed with LOAD_SEED. */
const random = (() => {
  let state = SEED >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
})();
const between = (min: number, max: number) => Math.floor(min + random() * (max - min + 1));

let h: ChatStreamHarness;
let server: Server;
let url: string;
let store: Store;
let modelId: number;
const tokens = new Map<string, string>();

failCaseOnUnhandledRejection();

beforeAll(async () => {
  h = await setUpChatStream({
    CANCEL_POLL_MS: '100',
    RATE_LIMIT_SENDS_PER_MINUTE: '1000',
    RATE_LIMIT_CANCELS_PER_MINUTE: '1000',
  });
  const [api, chat] = await Promise.all([import('../../../lambdas/api/handler.ts'), import('../../../lambdas/chat-stream/handler.ts')]);
  server = createLocalServer({ apiHandler: api.handler as unknown as ApiHandler, streamHandler: chat.handler as unknown as StreamHandler });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  store = directStore();
  modelId = (await h.addModel()).modelId;
  for (const user of USERS) tokens.set(user, await bearer(CHAT_USER(Number(user))));
});

afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
);

interface Plan {
  user: string;
  sessionId?: string;
  message: string;
  /** Press stop this long after `run_info`. */
  cancelAfterMs?: number;
  /** Leave after this many content lines. */
  leaveAfterLines?: number;
}

interface Trial {
  plan: Plan;
  call: StreamCall;
  sessionId?: string;
  runId?: string;
  cancel?: Promise<Record<string, any>>;
}

const run = async (plan: Plan): Promise<Trial> => {
  const trial: Trial = { plan, call: { lines: [], aborted: false } };
  const leave = new AbortController();
  trial.call = await callStream(
    `${url}/`,
    tokens.get(plan.user)!,
    { modelId, message: plan.message, sessionId: plan.sessionId ?? null, stream: true },
    (line: StreamLine, lines) => {
      if (line.type === 'meta') trial.sessionId = line.session_id;
      if (line.type === 'run_info') {
        trial.runId = line.run_id;
        if (plan.cancelAfterMs !== undefined) trial.cancel = pressStop(plan.user, line.run_id, plan.cancelAfterMs);
      }
      if (plan.leaveAfterLines !== undefined && lines.filter((l) => l.type === 'content').length >= plan.leaveAfterLines) leave.abort();
    },
    leave.signal,
  );
  return trial;
};

const pressStop = async (user: string, runId: string, afterMs: number) => {
  await new Promise((resolve) => setTimeout(resolve, afterMs));
  const res = await fetch(`${url}/ai/chat/cancel`, {
    method: 'POST',
    headers: { authorization: tokens.get(user)!, 'content-type': 'application/json' },
    body: JSON.stringify({ runId }),
  });
  return (await res.json()) as Record<string, any>;
};

const STATE_OF: Record<RunRecord['status'], string> = { completed: 'COMPLETED', cancelled: 'CANCELLED', failed: 'FAILED' };

describe(`load: ${SENDS} concurrent sends with random cancels (seed ${SEED})`, () => {
  it('leaves every run stored and terminal, and every session holding exactly its runs', { timeout: 180_000 }, async () => {
    // One finished turn per user first: the sessions the continuing sends go into.
    const firsts = await Promise.all(USERS.map((user) => run({ user, message: '[[interval=0 chunks=5]] first' })));
    const sessionOf = new Map(firsts.map((t) => [t.plan.user, t.sessionId!]));

    const plans: Plan[] = Array.from({ length: SENDS }, (_, i) => {
      const user = USERS[i % USERS.length]!;
      const roll = random();
      return {
        user,
        sessionId: i < CONTINUING ? sessionOf.get(user) : undefined,
        message: `[[interval=${between(8, 25)} chunks=${between(30, 80)}]] load ${i}`,
        cancelAfterMs: roll < 0.4 ? between(0, 800) : undefined,
        leaveAfterLines: roll >= 0.4 && roll < 0.5 ? between(1, 10) : undefined,
      };
    });
    const trials = await Promise.all(plans.map(run));
    const cancels = await Promise.all(trials.map((t) => t.cancel));

    // Every send was let in and got its run; every stop press was answered by the contract.
    for (const t of trials) {
      expect(t.call.envelope).toBeUndefined();
      expect(t.sessionId).toBeTruthy();
      expect(t.runId).toBeTruthy();
    }
    for (const answer of cancels.filter(Boolean)) expect(['取消成功', '取消运行失败']).toContain(answer!.msg);
    expect(cancels.filter((a) => a?.msg === '取消成功').length).toBeGreaterThan(0);

    // A client that left is not waited for: its run is stored by the function on its own.
    const all = [...firsts, ...trials];
    await vi.waitFor(async () => expect((await sessionItemsWithPrefix(store, 'RUNSTATUS#')).filter((i) => i.status === 'RUNNING')).toEqual([]), {
      timeout: 60_000,
      interval: 250,
    });
    const statusOf = new Map((await sessionItemsWithPrefix(store, 'RUNSTATUS#')).map((i) => [i.runId as string, i.status as string]));

    const runIdsBySession = new Map<string, string[]>();
    for (const t of all) runIdsBySession.set(t.sessionId!, [...(runIdsBySession.get(t.sessionId!) ?? []), t.runId!]);
    expect([...runIdsBySession.values()].flat()).toHaveLength(SENDS + USERS.length);

    const headers = new Map(
      (await sessionItemsWithPrefix(store, 'SESSION#')).filter((i) => i.sk === 'HEADER').map((i) => [i.sessionId as string, headerFromItem(i)]),
    );
    expect([...headers.keys()].sort()).toEqual([...runIdsBySession.keys()].sort());
    for (const [sessionId, runIds] of runIdsBySession) {
      const runs = await loadRuns(store, sessionId);
      expect(runs.map((r) => r.runId).sort(), `runs of session ${sessionId}`).toEqual([...runIds].sort());
      const header = headers.get(sessionId)!;
      expect(header.runCount).toBe(runs.length);
      for (const key of SUMMED_METRICS) {
        expect(header.metrics[key]).toBeCloseTo(
          runs.reduce((sum, r) => sum + (r.metrics?.[key] ?? 0), 0),
          6,
        );
      }
      for (const r of runs) expect(statusOf.get(r.runId), `status item of run ${r.runId}`).toBe(STATE_OF[r.status]);
    }

    // What each client saw agrees with what was stored.
    for (const t of all) {
      const stored = (await loadRuns(store, t.sessionId!)).find((r) => r.runId === t.runId)!;
      const streamed = t.call.lines
        .filter((l) => l.type === 'content')
        .map((l) => l.content)
        .join('');
      const last = t.call.lines.at(-1)!;
      if (t.call.aborted) {
        // The function is never told that its client left, as on Lambda: the run goes on to its end.
        expect(stored.status).toBe('completed');
        expect(stored.content.startsWith(streamed)).toBe(true);
      } else if (last.type === 'metrics') {
        expect(stored).toMatchObject({ status: 'completed', content: streamed });
      } else {
        expect(last.type).not.toBe('error');
        expect(stored).toMatchObject({ status: 'cancelled', content: streamed });
        expect(t.plan.cancelAfterMs).toBeDefined();
      }
    }
    expect(all.some((t) => t.call.aborted)).toBe(true);
  });
});
