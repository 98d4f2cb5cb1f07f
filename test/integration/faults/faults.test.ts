import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { failCaseOnUnhandledRejection } from '../robustness/support/rejections.ts';
import { chatMix } from './support/chats.ts';
import { runSchedule } from './support/run-schedule.ts';
import { schedules } from './support/schedules.ts';
import { misses } from './support/verdict.ts';
import { type FaultWorld, startFaultWorld } from './support/world.ts';

/**
 * The fault-injection suite, short: every schedule of `npm run chaos` (see
 * docs/faults.md), a handful of chats each, the outage a few seconds instead of 60 and
 * the storage patience 3 s instead of 15, through the real stream, api and drain
 * handlers, DynamoDB Local behind the fault proxy. The targets are the same: no reply a
 * client saw missing from its session, nothing reported wrongly, no run RUNNING, each
 * outcome told in one line, no 系统内部错误, no unhandled rejection.
 */

const SEED = 24;
const CHATS = 8;
const SCALE = { outageMs: 7_000, outageAfterMs: 800 };
const PATIENCE_MS = 3_000;

let world: FaultWorld;

failCaseOnUnhandledRejection();

beforeAll(async () => {
  world = await startFaultWorld({
    ddbEndpoint: inject('ddbEndpoint'),
    patienceMs: PATIENCE_MS,
    streamTimeoutMs: 120_000,
    apiTimeoutMs: 15_000,
    drainTimeoutMs: 4_000,
    visibilityTimeoutMs: 4_500,
    duplicateChance: 0.1,
    cancelPollMs: 50,
  });
  await world.warmUp();
});

afterAll(() => world.stop());

describe.each(schedules(SEED).map((schedule, i) => ({ schedule, i })))('schedule $schedule.name', ({ schedule, i }) => {
  it('loses no reply, reports nothing wrongly, leaves no run RUNNING, tells each outcome once', { timeout: 180_000 }, async () => {
    const outage = schedule.name === 'outage';
    const spread = outage ? SCALE.outageAfterMs + SCALE.outageMs : 2_500;
    // Across the outage: a quarter of the chats end inside it, early enough that their store gives up and keeps them.
    const endInside = outage ? { fromMs: SCALE.outageAfterMs, toMs: SCALE.outageAfterMs + SCALE.outageMs - PATIENCE_MS - 1_000 } : undefined;
    const run = await runSchedule(world, schedule, chatMix(SEED + i, CHATS, 2_000 + 10 * i, 3, spread, endInside), SCALE);
    expect(misses(run.verdict)).toEqual({ lost: [], reportedWrongly: [], running: [], toldBadly: [], internalErrors: [], usage: [] });
    // The schedule did meet the chats: faults were answered, and every chat came to an outcome.
    expect(run.faultsInjected).toBeGreaterThan(0);
    if (outage) expect(run.verdict.kept).toBeGreaterThan(0);
    const { verdict } = run;
    expect(verdict.refusedStorage + verdict.notStarted + verdict.stored + verdict.kept + verdict.lost.length).toBe(CHATS);
  });
});
