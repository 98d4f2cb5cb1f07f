import { beforeAll, describe, expect, it } from 'vitest';
import { createRunStatus } from '../../../lambdas/core/sessions/run-status.ts';
import { getSessionHeader, persistRun } from '../../../lambdas/core/sessions/run-store.ts';
import type { RunRecord } from '../../../lambdas/core/sessions/types.ts';
import { ledgerEntry } from '../../../lambdas/core/usage/ledger-entry.ts';
import { setUpBothFunctions, type Api } from '../robustness/support/corpus.ts';
import type { ChatStreamHarness } from '../chat-stream/support.ts';
import { ADMIN, bearer, CHAT_USER } from '../../support/tokens.ts';
import { counterDifferences, readUsageState } from './support/audit.ts';

/**
 * The ledger against DynamoDB Local through the real handlers: one entry per run, written
 * with the run's final write; counters that are the entries' sums; the price a run was
 * charged kept with it; usage that outlives its session; an end written twice that changes
 * nothing.
 */

let h: ChatStreamHarness;
let api: Api;
let admin: string;
let user: string;
const USER = 551;

const PRICE = { currency: 'CNY', inputPerMillion: 2, outputPerMillion: 8, cachedPerMillion: 0.5, effectiveFrom: '2026-01-01 00:00:00' };

beforeAll(async () => {
  ({ h, api } = await setUpBothFunctions());
  admin = await bearer(ADMIN);
  user = await bearer(CHAT_USER(USER, { dept_id: 103, dept_name: '研发部门' }));
});

const addPricedModel = async (prices: unknown[] = [PRICE]) => {
  const code = `priced-${Math.random().toString(36).slice(2, 8)}`;
  await api({
    method: 'POST',
    path: '/ai/model',
    authorization: admin,
    body: { modelCode: code, provider: 'OpenAI', modelSort: 1, baseUrl: h.modelServer.url, prices },
  });
  const page = await api({ method: 'GET', path: '/ai/model/list', authorization: admin, query: { modelCode: code } });
  return page.json.rows[0] as { modelId: number; prices: unknown[] };
};

const entriesOf = async (runIds: string[]) => (await readUsageState(h.runtime)).entries.filter((e) => runIds.includes(e.runId));

describe('a run’s ledger entry', () => {
  it('one per run, with the provider’s numbers, charged at the price in effect when it started', async () => {
    const model = await addPricedModel();
    const out = await h.send({ modelId: model.modelId, message: '[[interval=0]] count me' }, { authorization: user });
    const runId = out.lines[1]!.run_id as string;
    const metrics = out.ofType('metrics')[0]!.metrics;
    const [entry, ...more] = await entriesOf([runId]);
    expect(more).toEqual([]);
    expect(entry).toMatchObject({
      userId: String(USER),
      deptId: '103',
      deptName: '研发部门',
      modelId: model.modelId,
      outcome: 'completed',
      source: 'provider',
      inputTokens: metrics.inputTokens,
      outputTokens: metrics.outputTokens,
      totalTokens: metrics.inputTokens + metrics.outputTokens,
      price: { currency: 'CNY', inputMicros: 2_000_000, outputMicros: 8_000_000, cachedMicros: 500_000 },
    });
    expect(entry!.provenance).toMatchObject({ field: 'usage' });
    expect(entry!.costMicros).toBe(Math.round(metrics.inputTokens * 2 + metrics.outputTokens * 8));
    expect(counterDifferences(await readUsageState(h.runtime))).toEqual([]);
  });

  it('a price changed later applies to runs started after it; earlier entries keep theirs', async () => {
    const model = await addPricedModel();
    const first = await h.send({ modelId: model.modelId, message: '[[interval=0]] before' }, { authorization: user });
    const detail = (await api({ method: 'GET', path: `/ai/model/${model.modelId}`, authorization: admin })).json.data;
    const raised = { ...PRICE, inputPerMillion: 4, effectiveFrom: null };
    await api({ method: 'PUT', path: '/ai/model', authorization: admin, body: { ...detail, prices: [...detail.prices, raised] } });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const second = await h.send({ modelId: model.modelId, message: '[[interval=0]] after' }, { authorization: user });
    const runIds = [first, second].map((out) => out.lines[1]!.run_id as string);
    const entries = await entriesOf(runIds);
    const byRun = new Map(entries.map((e) => [e.runId, e.price?.inputMicros]));
    expect(runIds.map((id) => byRun.get(id))).toEqual([2_000_000, 4_000_000]);
  });
});

describe('prices through the model API', () => {
  it('RuoYi’s dialog sends the detail back whole: the prices stay; a form that leaves them out keeps them; [] clears them', async () => {
    const model = await addPricedModel();
    const detail = (await api({ method: 'GET', path: `/ai/model/${model.modelId}`, authorization: admin })).json.data;
    expect(detail.prices).toEqual([PRICE].map((p) => ({ ...p, effectiveFrom: '2026-01-01T00:00:00' })));
    expect((await api({ method: 'PUT', path: '/ai/model', authorization: admin, body: { ...detail, remark: 'edited in RuoYi' } })).json.code).toBe(200);
    expect((await api({ method: 'GET', path: `/ai/model/${model.modelId}`, authorization: admin })).json.data.prices).toEqual(detail.prices);
    const { prices: _p, streamUsage: _s, usageOnStop: _u, ...known } = detail;
    await api({ method: 'PUT', path: '/ai/model', authorization: admin, body: known });
    const kept = (await api({ method: 'GET', path: `/ai/model/${model.modelId}`, authorization: admin })).json.data;
    expect([kept.prices, kept.streamUsage, kept.usageOnStop]).toEqual([detail.prices, 'Y', 'N']);
    await api({ method: 'PUT', path: '/ai/model', authorization: admin, body: { ...detail, prices: [] } });
    expect((await api({ method: 'GET', path: `/ai/model/${model.modelId}`, authorization: admin })).json.data.prices).toEqual([]);
  });

  it('refuses a price that is not one (601), and changes nothing', async () => {
    const model = await addPricedModel();
    const detail = (await api({ method: 'GET', path: `/ai/model/${model.modelId}`, authorization: admin })).json.data;
    for (const bad of [
      { ...PRICE, currency: 'rmb' },
      { ...PRICE, outputPerMillion: -1 },
      { ...PRICE, inputPerMillion: 0.1234567 },
    ]) {
      expect((await api({ method: 'PUT', path: '/ai/model', authorization: admin, body: { ...detail, prices: [bad] } })).json.code).toBe(601);
    }
    expect((await api({ method: 'GET', path: `/ai/model/${model.modelId}`, authorization: admin })).json.data.prices).toEqual(detail.prices);
  });
});

describe('usage outlives its session', () => {
  it('deleting a session keeps its runs’ entries and counters as they were', async () => {
    const model = await addPricedModel();
    const out = await h.send({ modelId: model.modelId, message: '[[interval=0]] keep my usage' }, { authorization: user });
    const before = await readUsageState(h.runtime);
    const deleted = await api({ method: 'DELETE', path: `/ai/chat/session/${out.lines[0]!.session_id}`, authorization: user });
    expect(deleted.json.code).toBe(200);
    const after = await readUsageState(h.runtime);
    expect(after.entries.map((e) => e.runId).sort()).toEqual(before.entries.map((e) => e.runId).sort());
    expect([...after.counters.entries()]).toEqual([...before.counters.entries()]);
  });

  it('a session deleted while its run streams: the run is not stored in it, its usage is', async () => {
    const model = await addPricedModel();
    const started = await h.send({ modelId: model.modelId, message: '[[interval=0]] a session to delete' }, { authorization: user });
    const sessionId = started.lines[0]!.session_id as string;
    const { capture, done } = h.open({ modelId: model.modelId, sessionId, message: '[[interval=20 chunks=400]] deleted under me' }, { authorization: user });
    await capture.until((lines) => lines.filter((l) => l.type === 'content').length >= 3);
    expect((await api({ method: 'DELETE', path: `/ai/chat/session/${sessionId}`, authorization: user })).json.code).toBe(200);
    await done;
    expect(await getSessionHeader(h.runtime, sessionId)).toBeUndefined();
    const [entry] = await entriesOf([capture.lines[1]!.run_id as string]);
    expect(entry).toMatchObject({ outcome: 'cancelled', sessionId });
    expect(entry!.outputTokens).toBeGreaterThan(0);
    expect(counterDifferences(await readUsageState(h.runtime))).toEqual([]);
  });
});

describe('an end written twice', () => {
  /** A cancelled run stored by hand: the one outcome whose status move (CANCELLED to CANCELLED) a replay would pass. */
  const cancelledRun = async (): Promise<RunRecord> => {
    const model = await addPricedModel();
    const runId = crypto.randomUUID();
    const sessionId = crypto.randomUUID();
    const userId = String(USER);
    await createRunStatus(h.runtime, { runId, sessionId, userId }, 600);
    const startedAt = Date.now();
    const run: RunRecord = {
      runId,
      sessionId,
      userId,
      status: 'cancelled',
      userMessage: 'twice',
      images: [],
      content: 'half a reply',
      reasoning: '',
      metrics: null,
      model: { id: model.modelId, name: 'm', provider: 'OpenAI', temperature: null },
      startedAt,
      finishedAt: startedAt + 10,
    };
    const identity = { userId, deptId: '103', deptAncestors: ['0', '100', '101'], perms: [], roles: [], dataScopes: [], isAdmin: false };
    const stored = (await api({ method: 'GET', path: `/ai/model/${model.modelId}`, authorization: admin })).json.data;
    const usage = ledgerEntry({
      run,
      identity,
      model: { ...stored, prices: [{ currency: 'CNY', inputMicros: 2_000_000, outputMicros: 8_000_000, effectiveFrom: 0 }] },
      usage: { inputTokens: 40, outputTokens: 3, totalTokens: 43, reasoningTokens: 0, cacheReadTokens: 0, source: 'estimated', estimate: 'streamed-text' },
      reservations: [],
    });
    return { ...run, usage };
  };

  it('is refused as a whole: one entry, counters and the session header as after the first', async () => {
    const run = await cancelledRun();
    await persistRun(h.runtime, run);
    const first = await readUsageState(h.runtime);
    const header = await getSessionHeader(h.runtime, run.sessionId);
    await persistRun(h.runtime, run);
    await persistRun(h.runtime, run);
    const again = await readUsageState(h.runtime);
    expect(again.entries.filter((e) => e.runId === run.runId)).toHaveLength(1);
    expect([...again.counters.entries()]).toEqual([...first.counters.entries()]);
    expect(await getSessionHeader(h.runtime, run.sessionId)).toEqual(header);
    expect(header!.runCount).toBe(1);
    expect(counterDifferences(again)).toEqual([]);
  });
});
