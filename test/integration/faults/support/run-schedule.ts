import { loadRuns } from '../../../../lambdas/core/sessions/run-store.ts';
import { RUN_MSG } from '../../../../lambdas/core/wire/messages.ts';
import type { ChatSpec } from './chats.ts';
import type { Schedule, ScheduleScale } from './schedules.ts';
import { judge, KEPT_WITHIN_MS, type Verdict, waitFor } from './verdict.ts';
import type { FaultWorld, Observation } from './world.ts';

export interface ScheduleRun {
  schedule: string;
  observations: Observation[];
  verdict: Verdict;
  durationMs: number;
  /** The process's peak while the schedule ran (the handlers, the drain, the proxy and the clients together). */
  peakRssMb: number;
  peakHeapMb: number;
  /** Calls the schedule answered with a fault (for the outage: outages begun). */
  faultsInjected: number;
}

const MB = 1024 * 1024;
const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

/**
 * Runs `chats` under one schedule: each chat sent at its time (a follow-up once the chat
 * it continues has ended), the faults stopped once every stream has ended, then judged
 * (verdict.ts). A reply told "kept" is watched from its closing line until it is in its
 * session.
 */
export const runSchedule = async (world: FaultWorld, schedule: Schedule, chats: ChatSpec[], scale: ScheduleScale): Promise<ScheduleRun> => {
  const memory = { rss: 0, heap: 0 };
  const sample = () => {
    const { rss, heapUsed } = process.memoryUsage();
    memory.rss = Math.max(memory.rss, rss);
    memory.heap = Math.max(memory.heap, heapUsed);
  };
  const sampler = setInterval(sample, 250);
  const started = Date.now();
  const faults = schedule.start(world.proxy, scale);
  const keptStoredAt = new Map<Observation, Promise<number | undefined>>();
  const watchKept = (o: Observation) => {
    const kept = o.lines.some((l) => l.type === 'error' && String(l.error).includes(RUN_MSG.replyKept));
    if (!kept || !o.sessionId) return;
    const stored = async () => ((await loadRuns(world.store, o.sessionId!)).some((run) => run.runId === o.runId) ? Date.now() : undefined);
    // Up to the target and then some past the end of any outage, so a late store is measured, not missed.
    keptStoredAt.set(o, waitFor(stored, o.endedAt + scale.outageMs + KEPT_WITHIN_MS + 60_000, 200));
  };
  const done = new Map<number, Promise<Observation>>();
  for (const spec of chats) {
    done.set(
      spec.index,
      (async () => {
        await sleepUntil(started + spec.startAfterMs);
        const parent = spec.parent === undefined ? undefined : await done.get(spec.parent);
        const sessionId = spec.session === 'client-id' ? spec.clientSessionId : parent?.sessionId;
        const observation = await world.chat(spec, sessionId);
        watchKept(observation);
        return observation;
      })(),
    );
  }
  const observations = await Promise.all(done.values());
  await faults.stop();
  const restoredAt = world.proxy.restoredAt;
  const answeringAgainAt = restoredAt && restoredAt >= started ? restoredAt : Date.now();
  const verdict = await judge(world, observations, answeringAgainAt, keptStoredAt);
  clearInterval(sampler);
  sample();
  return {
    schedule: schedule.name,
    observations,
    verdict,
    durationMs: Date.now() - started,
    peakRssMb: Math.round(memory.rss / MB),
    peakHeapMb: Math.round(memory.heap / MB),
    faultsInjected: faults.injected(),
  };
};
