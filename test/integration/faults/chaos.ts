import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { JAVA_MISSING, javaAvailable, startDynamoDbLocal } from '../../../local/dynamodb-local.ts';
import { KEPT_RUNS_QUEUE } from '../../../lib/kept-runs.ts';
import { chatMix } from './support/chats.ts';
import { runSchedule, type ScheduleRun } from './support/run-schedule.ts';
import { schedules } from './support/schedules.ts';
import { KEPT_WITHIN_MS, misses } from './support/verdict.ts';
import { startFaultWorld } from './support/world.ts';

/**
 * `npm run chaos`: the fault-injection suite at length. Every schedule (support/
 * schedules.ts) over 150 chats (support/chats.ts) through the real stream, api and drain
 * handlers, DynamoDB Local behind the fault proxy, with the deployed settings: 15 s of
 * storage patience, the stream's 600 s, the drain's 60 s and the queue's 90 s visibility,
 * a 60 s outage. Prints each schedule's counts and the targets (docs/faults.md); exits 1
 * when a target is missed. Options: --chats N, --seed N, --schedules a,b, --outage-ms N,
 * --out file.json (the results), --logs (the handlers' logs on stderr).
 */

const { values: args } = parseArgs({
  options: {
    chats: { type: 'string', default: '150' },
    seed: { type: 'string', default: '24' },
    schedules: { type: 'string' },
    'outage-ms': { type: 'string', default: '60000' },
    out: { type: 'string' },
    logs: { type: 'boolean', default: false },
  },
});

const CHATS = Number(args.chats);
const SEED = Number(args.seed);
const PATIENCE_MS = 15_000;
const SCALE = { outageMs: Number(args['outage-ms']), outageAfterMs: 10_000 };
const USERS = 20;
const MB = 1024 * 1024;

const main = async () => {
  if (!javaAvailable()) throw new Error(JAVA_MISSING);
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.LOG_LEVEL = args.logs ? 'WARN' : 'SILENT';
  const unhandled: string[] = [];
  process.on('unhandledRejection', (reason) => unhandled.push(String(reason)));

  const ddb = await startDynamoDbLocal();
  const world = await startFaultWorld({
    ddbEndpoint: ddb.endpoint,
    patienceMs: PATIENCE_MS,
    streamTimeoutMs: 600_000,
    apiTimeoutMs: 15_000,
    drainTimeoutMs: KEPT_RUNS_QUEUE.drainTimeoutSeconds * 1000,
    visibilityTimeoutMs: KEPT_RUNS_QUEUE.visibilityTimeoutSeconds * 1000,
    duplicateChance: 0.05,
  });
  await world.warmUp();
  const chosen = schedules(SEED).filter((s) => !args.schedules || args.schedules.split(',').includes(s.name));
  const results: (Omit<ScheduleRun, 'observations'> & { heapAfterGcMb: number })[] = [];
  try {
    for (const [i, schedule] of chosen.entries()) {
      const outage = schedule.name === 'outage';
      const spread = outage ? SCALE.outageAfterMs + SCALE.outageMs + 20_000 : 60_000;
      const endInside = outage ? { fromMs: SCALE.outageAfterMs, toMs: SCALE.outageAfterMs + SCALE.outageMs - PATIENCE_MS - 5_000 } : undefined;
      console.error(`\n${schedule.name}: ${CHATS} chats over ${spread / 1000} s: ${schedule.checks}`);
      const { observations: _o, ...run } = await runSchedule(world, schedule, chatMix(SEED + i, CHATS, 10_000 + 100 * i, USERS, spread, endInside), SCALE);
      (globalThis as { gc?: () => void }).gc?.();
      const result = { ...run, heapAfterGcMb: Math.round(process.memoryUsage().heapUsed / MB) };
      results.push(result);
      const v = run.verdict;
      console.error(
        `  ${(run.durationMs / 1000).toFixed(0)} s, ${run.faultsInjected} faults: ${v.stored} stored, ${v.kept} kept (longest ${(v.keptDelayMaxMs / 1000).toFixed(1)} s after DynamoDB answered), ` +
          `${v.refusedStorage} sends refused and ${v.notStarted} runs not started (storage unavailable), stops ${JSON.stringify(v.stops)}; ` +
          `peak RSS ${run.peakRssMb} MB, heap ${run.peakHeapMb} MB, after GC ${result.heapAfterGcMb} MB`,
      );
      for (const [target, list] of Object.entries(misses(v))) if (list.length) console.error(`  MISSED ${target}: ${list.length}\n    ${list.join('\n    ')}`);
    }
  } finally {
    await world.stop();
    await ddb.stop();
  }

  const total = (pick: (r: (typeof results)[number]) => number) => results.reduce((n, r) => n + pick(r), 0);
  const targets = {
    'replies lost': total((r) => r.verdict.lost.length),
    'reported wrongly': total((r) => r.verdict.reportedWrongly.length),
    'runs RUNNING after their stream ended': total((r) => r.verdict.running.length),
    'outcomes not told in exactly one line': total((r) => r.verdict.toldBadly.length),
    '系统内部错误 for a storage fault': total((r) => r.verdict.internalErrors.length),
    'stored runs without exactly one ledger entry, counters off their entries': total((r) => r.verdict.usage.length),
    'unhandled rejections': unhandled.length,
    [`kept replies later than ${KEPT_WITHIN_MS / 1000} s after DynamoDB answered`]: results.filter((r) => r.verdict.keptDelayMaxMs > KEPT_WITHIN_MS).length,
  };
  console.log(`\nchaos: ${results.length} schedules × ${CHATS} chats, seed ${SEED}`);
  console.log(
    '| schedule | faults | stored | kept | longest kept (s) | refused (storage) | not started | stops recorded / not recorded / run ended / not pressed | peak RSS MB | heap after GC MB |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    const v = r.verdict;
    console.log(
      `| ${r.schedule} | ${r.faultsInjected} | ${v.stored} | ${v.kept} | ${(v.keptDelayMaxMs / 1000).toFixed(1)} | ${v.refusedStorage} | ${v.notStarted} | ${v.stops.recorded} / ${v.stops.notRecorded} / ${v.stops.runEnded} / ${v.stops.notPressed} | ${r.peakRssMb} | ${r.heapAfterGcMb} |`,
    );
  }
  console.log('\ntargets (each must be 0):');
  for (const [name, count] of Object.entries(targets)) console.log(`  ${name}: ${count}`);
  if (args.out) writeFileSync(args.out, `${JSON.stringify({ seed: SEED, chats: CHATS, results, targets, unhandled }, null, 2)}\n`);
  if (Object.values(targets).some((n) => n > 0)) process.exitCode = 1;
};

main().then(
  () => process.exit(),
  (err: unknown) => {
    console.error(`chaos failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
