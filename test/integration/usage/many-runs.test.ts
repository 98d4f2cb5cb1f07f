import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Send } from '../../../lambdas/core/db/client.ts';
import { periodOf } from '../../../lambdas/core/usage/periods.ts';
import { reservedTokens } from '../../../lambdas/core/quotas/reservation.ts';
import { setUpBothFunctions, type Api } from '../robustness/support/corpus.ts';
import type { Capture, ChatStreamHarness } from '../chat-stream/support.ts';
import { DEPTS } from '../../support/ruoyi-world.ts';
import { startRuoyiStandIn, type RuoyiStandIn } from '../../support/ruoyi-stand-in.ts';
import { counterDifferences, readUsageState } from './support/audit.ts';

/**
 * The target, through the real handlers in RuoYi mode: many runs by 20 users at
 * once (USAGE_RUNS, 240 by default; `npm run test:usage` runs 1,000), completed, stopped
 * at random points, failed before and during the reply, some final writes sent twice,
 * sessions deleted between and during runs, hard and soft quotas of every kind. Then:
 * exactly one ledger entry per run that started and none for a refused send; every
 * counter equal to the sum of its entries, every reservation settled; a completed run's
 * tokens exactly the provider's; no hard quota past its limit by a reservation or more;
 * no refused send reached the provider.
 */

const RUNS = Number(process.env.USAGE_RUNS ?? 240);
const USERS = 20;
const RESERVE = 300;

/** A seeded generator (mulberry32), so a failing mix can be run again as it was. */
const SEED = Number(process.env.USAGE_SEED ?? 20261124);
const random = (() => {
  let state = SEED;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
})();
const pick = <T>(weighted: [number, T][]): T => {
  let r = random() * weighted.reduce((sum, [w]) => sum + w, 0);
  for (const [w, value] of weighted) {
    r -= w;
    if (r < 0) return value;
  }
  return weighted.at(-1)![1];
};
const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));

const DEPT_IDS = [100, 101, 102, 103];
const userIds = Array.from({ length: USERS }, (_, i) => 201 + i);
const deptOf = (userId: number) => DEPT_IDS[userId % DEPT_IDS.length]!;
/** Users 201 + 3k hold the `intern` role too. */
const isIntern = (userId: number) => (userId - 201) % 3 === 0;

let ruoyi: RuoyiStandIn;
let h: ChatStreamHarness;
let api: Api;
let admin: string;
const tokens = new Map<number, string>();

type Kind = 'completed' | 'stopped' | 'refused-before' | 'broken-during';

interface Sent {
  tag: string;
  userId: number;
  kind: Kind;
  modelId: number;
  capture: Capture;
}

const sent: Sent[] = [];
/** Final writes seen on the wire (their usage entry put first after the run's three items), to send again. */
const finalWrites: Record<string, unknown>[] = [];

beforeAll(async () => {
  ruoyi = await startRuoyiStandIn({
    basePath: '/prod-api',
    depts: DEPTS,
    roles: [
      { roleId: 2, roleKey: 'common', dataScope: '1', perms: ['ai:chat:list'] },
      { roleId: 3, roleKey: 'intern', dataScope: '5', perms: ['ai:chat:list'] },
    ],
    users: userIds.map((userId) => ({ userId, userName: `u${userId}`, deptId: deptOf(userId), roleIds: isIntern(userId) ? [2, 3] : [2] })),
  });
  ({ h, api } = await setUpBothFunctions({
    JWT_SECRET: ruoyi.secret,
    RUOYI_API_URL: ruoyi.url,
    RATE_LIMIT_SENDS_PER_MINUTE: '100000',
    QUOTA_CACHE_MS: '1',
    QUOTA_RESERVE_TOKENS: String(RESERVE),
    USAGE_ON_STOP_MS: '300',
  }));
  admin = await ruoyi.bearer('admin');
  for (const userId of userIds) tokens.set(userId, await ruoyi.bearer(`u${userId}`));
  h.runtime.db.use(
    (next: Send): Send =>
      async (operation, input) => {
        const out = await next(operation, input);
        const items = (input as { TransactItems?: { Put?: { Item?: { pk?: string } } }[] }).TransactItems;
        if (operation === 'TransactWriteItems' && String(items?.[3]?.Put?.Item?.pk).startsWith('USAGE#')) finalWrites.push(structuredClone(input));
        return out;
      },
  );
}, 180_000);
afterAll(() => ruoyi.close());

const addModel = async (fields: Record<string, unknown>) => (await h.addModel(fields)).modelId;

const quotaFor = async (quota: Record<string, unknown>) => {
  const out = await api({ method: 'POST', path: '/ai/quota', authorization: admin, body: { period: 'day', metric: 'tokens', enforcement: 'hard', ...quota } });
  expect(out.json.code, out.json.msg).toBe(200);
};

/** One send of `kind` by `userId`, in its session or a new one; cancels a stopped one at a random point. */
const runOnce = async (userId: number, kind: Kind, modelId: number, sessionId: string | undefined): Promise<Sent> => {
  const tag = `#s${sent.length}-${userId}`;
  const directive = {
    completed: `[[interval=0 chunks=${between(3, 40)}]]`,
    // Slow enough that the stop lands before the reply's end on a busy machine too.
    stopped: `[[interval=20 chunks=40]]`,
    'refused-before': `[[status=${pick([
      [1, 500],
      [1, 429],
      [1, 404],
    ])}]]`,
    'broken-during': `[[interval=0 chunks=30 ${pick([
      [1, 'error_after'],
      [1, 'fail_after'],
    ])}=${between(1, 20)}]]`,
  }[kind];
  const body = { modelId, message: `${directive} ${tag}`, ...(sessionId ? { sessionId } : {}) };
  const { capture, done } = h.open(body, { authorization: tokens.get(userId) });
  const entry: Sent = { tag, userId, kind, modelId, capture };
  sent.push(entry);
  if (kind === 'stopped') {
    const after = between(1, 12);
    await Promise.race([done, capture.until((lines) => lines.filter((l) => l.type === 'content').length >= after)]);
    const runId = capture.lines.find((l) => l.type === 'run_info')?.run_id;
    if (runId && !capture.lines.some((l) => l.type === 'metrics' || l.type === 'error')) {
      await api({ method: 'POST', path: '/ai/chat/cancel', authorization: tokens.get(userId), body: { runId } });
    }
  }
  await done;
  return entry;
};

/** One user's runs, one after another: follow-ups in its session, sessions deleted now and then, some during a run. */
const userRuns = async (userId: number, count: number, models: number[]) => {
  let sessionId: string | undefined;
  for (let i = 0; i < count; i++) {
    const kind = pick<Kind>([
      [55, 'completed'],
      [21, 'stopped'],
      [12, 'refused-before'],
      [12, 'broken-during'],
    ]);
    const modelId = models[between(0, models.length - 1)]!;
    const deleteDuring = sessionId !== undefined && random() < 0.04;
    const run = runOnce(userId, kind, modelId, random() < 0.5 ? sessionId : undefined);
    if (deleteDuring) {
      const during = sessionId!;
      await new Promise((resolve) => setTimeout(resolve, between(0, 30)));
      await api({ method: 'DELETE', path: `/ai/chat/session/${during}`, authorization: tokens.get(userId) });
    }
    const { capture } = await run;
    const meta = capture.isStream ? (capture.lines[0]?.session_id as string | undefined) : undefined;
    sessionId = meta ?? sessionId;
    if (deleteDuring || (sessionId && random() < 0.06)) {
      await api({ method: 'DELETE', path: `/ai/chat/session/${sessionId}`, authorization: tokens.get(userId) });
      sessionId = undefined;
    }
    if (finalWrites.length && random() < 0.06) {
      const again = finalWrites[between(0, finalWrites.length - 1)]!;
      await expect(h.runtime.db.transactWrite(again as never)).rejects.toMatchObject({ name: 'TransactionCanceledException' });
    }
  }
};

describe(`${RUNS} runs by ${USERS} users at once`, () => {
  it('leave one entry per run, counters that are their sums, provider numbers kept exactly, quotas that hold, no refused send at the provider', {
    timeout: 1_800_000,
  }, async () => {
    const priced = await addModel({
      modelName: 'priced',
      maxTokens: 200,
      usageOnStop: 'Y',
      prices: [{ currency: 'CNY', inputMicros: 3_000_000, outputMicros: 9_000_000, cachedMicros: 1_000_000, effectiveFrom: 0 }],
    });
    const free = await addModel({ modelName: 'free' });
    const day = periodOf('day', Date.now());
    // Limits low enough for each to be reached within the runs, whatever their number.
    const hard = [
      { subjectType: 'user', subjectId: '205', limit: 300 },
      { subjectType: 'user', subjectId: '206', metric: 'cost', currency: 'CNY', limit: 600 },
      { subjectType: 'role', subjectId: 'intern', limit: 400 },
      { subjectType: 'dept', subjectId: '102', limit: 1_000 },
      { subjectType: 'model', subjectId: String(free), limit: RUNS * 12 },
    ];
    for (const quota of hard) await quotaFor(quota);
    await quotaFor({ subjectType: 'role', subjectId: 'common', period: 'month', limit: 500, enforcement: 'soft' });
    await new Promise((resolve) => setTimeout(resolve, 60));
    const received = h.modelServer.stats.requests.length;

    const perUser = Math.ceil(RUNS / USERS);
    await Promise.all(userIds.map((userId) => userRuns(userId, perUser, [priced, free])));

    const state = await readUsageState(h.runtime);
    const started = sent.filter((s) => s.capture.isStream && s.capture.lines.some((l) => l.type === 'run_info'));
    const refused = sent.filter((s) => !s.capture.isStream);
    const runIds = started.map((s) => s.capture.lines.find((l) => l.type === 'run_info')!.run_id as string);

    // Exactly one entry per run that started, none for a refused send.
    expect(started.length + refused.length).toBe(sent.length);
    expect(state.entries.map((e) => e.runId).sort()).toEqual([...runIds].sort());
    expect(refused.map((s) => s.capture.envelope.msg).filter((msg) => !msg.includes('限额'))).toEqual([]);

    // Every counter is the sum of its entries, and holds no reservation once nothing runs.
    expect(counterDifferences(state)).toEqual([]);

    // A completed run counts exactly what the provider said.
    const entries = new Map(state.entries.map((e) => [e.runId, e]));
    const completed = started.filter((s) => s.capture.ofType('metrics').length === 1);
    expect(completed.length).toBeGreaterThan(RUNS / 4);
    for (const run of completed) {
      const metrics = run.capture.ofType('metrics')[0]!.metrics;
      const entry = entries.get(run.capture.lines.find((l) => l.type === 'run_info')!.run_id as string)!;
      expect([entry.source, entry.inputTokens, entry.outputTokens, entry.reasoningTokens, entry.cachedTokens]).toEqual([
        'provider',
        metrics.inputTokens,
        metrics.outputTokens,
        metrics.reasoningTokens,
        metrics.cacheReadTokens,
      ]);
    }
    // Every run stayed within its reservation, so the bound is one reservation.
    expect(Math.max(...state.entries.map((e) => e.totalTokens))).toBeLessThanOrEqual(RESERVE);
    const reservation = reservedTokens({ maxTokens: 200 }, RESERVE);
    const costReservation = Math.ceil((reservation * 9_000_000) / 1_000_000);
    const counter = (kind: string, id: string) => state.counters.get(`CNT#D#${day}#${kind} ${id}`);
    const within = (used: number, limit: number, bound: number) => ({ reached: used >= limit, within: used < limit + bound });
    // A subject none of whose runs was counted has no counter: the users' models are drawn at random.
    const holds = [
      within(Number(counter('U', '205')?.totalTokens ?? 0), 300, reservation),
      within(Number(counter('U', '206')?.['cost#CNY'] ?? 0), 600, costReservation),
      ...userIds.filter(isIntern).map((intern) => within(Number(counter('U', String(intern))?.totalTokens ?? 0), 400, reservation)),
      within(Number(counter('D', '102')?.totalTokens ?? 0), 1_000, reservation),
      within(Number(counter('M', String(free))?.totalTokens ?? 0), RUNS * 12, reservation),
    ];
    expect(holds.every((q) => q.within)).toBe(true);
    expect(holds.filter((q) => q.reached).length).toBeGreaterThanOrEqual(4);

    // A refused send reached no provider: its tag is in no request the model server received.
    // The tag of a request is its last message's (earlier ones are the history's).
    const lastMessage = (body: Record<string, unknown>) => JSON.stringify((body.messages as unknown[]).at(-1));
    const asked = new Set(h.modelServer.stats.requests.slice(received).map((r) => lastMessage(r.body).match(/#s\d+-\d+/)?.[0]));
    expect(refused.filter((s) => asked.has(s.tag))).toEqual([]);
    expect(started.every((s) => asked.has(s.tag))).toBe(true);

    // Soft quotas noticed once per user at most, and the mix was the one asked for.
    const notices = sent.map((s) => (s.capture.isStream ? s.capture.ofType('notice').length : 0));
    expect(Math.max(...notices)).toBeLessThanOrEqual(1);
    const noticed = new Set(sent.filter((_, i) => notices[i]).map((s) => s.userId));
    expect(noticed.size).toBe(sent.filter((_, i) => notices[i]).length);
    const kinds = new Set(started.map((s) => s.kind));
    expect([...kinds].sort()).toEqual(['broken-during', 'completed', 'refused-before', 'stopped']);
    expect(state.entries.filter((e) => e.outcome === 'cancelled').length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
  });
});
