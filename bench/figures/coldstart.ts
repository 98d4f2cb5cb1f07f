import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { ricMissing } from '../../test/support/lambda-runtime/ric.ts';
import type { ExecutionEnvironment } from '../../test/support/lambda-runtime/execution-environment.ts';
import { createInvokeApi } from '../../test/support/lambda-runtime/invoke-api.ts';
import { synth } from '../../test/support/synth.ts';
import { bundleFunction } from '../../lib/bundling/function-bundle.ts';
import { createStreamWarmer } from '../../lambdas/core/warm-ahead.ts';
import { createCpuQuota, cpuQuotaUnavailable, lambdaShare, PERIOD_US, type CpuQuota } from '../harness/cpu-quota.ts';
import { type DeployedFunction, deployedFunction, localEnvironment } from '../harness/deployed.ts';
import { backToBack, directChat, firstContent } from '../harness/direct-client.ts';
import { startRicStream, type RicStream } from '../harness/ric-stream.ts';
import { type Distribution, distribution, median } from '../harness/stats.ts';
import { sendChat, type StreamTimes } from '../harness/stream-client.ts';
import { fmt, spread, type Row } from '../report.ts';
import type { BenchContext } from './context.ts';

const SIZES = [160, 256, 512, 1024, 1769] as const;
const ENVIRONMENTS = 5;
const WARM_SENDS = 5;
/** A model whose first token comes at once, so the stack's own time is what is left. */
const MESSAGE = '[[delay=0 interval=0]] Hello, are you there?';
/** A fast provider, for the relay's ceiling; and an ordinary one, for the CPU a relayed chunk costs. */
const FAST = { rate: 1000, chunks: 2000 };
const STEADY = { rate: 100, chunks: 300 };
const relayMessage = ({ rate, chunks }: { rate: number; chunks: number }) => `[[rate=${rate} chunks=${chunks}]] A long answer.`;
const TARGET = { coldFullMs: 250, coldThrottledMs: 600, warmMs: 10, keepsUp: 0.95 };
/** From opening the chat page to sending: less than anyone takes to read the page and type a question. */
const THINK_MS = 2_000;
/** The floor: a pass-through streaming function (floor-function/index.mjs), no bundle, no dependencies. */
const FLOOR_DIR = fileURLToPath(new URL('../harness/floor-function/', import.meta.url));
/** The same through the `openai` client, bundled as the stack's functions are. */
const OPENAI_FLOOR_ENTRY = 'bench/harness/floor-function/through-openai.ts';
const FLOORS = {
  plain: { name: 'floor', what: 'a pass-through function' },
  openai: { name: 'floor through `openai`', what: 'the same, calling the model through the client the stack uses' },
} as const;
type Floor = keyof typeof FLOORS;

/** INIT at a full vCPU, as Lambda is observed to run it, or held to the share like the invocations. */
type InitMode = 'full' | 'throttled';

const peakRssMb = (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** Until the environment asked for its next invocation: a send before that would start another one. */
const idle = async (env: ExecutionEnvironment) => {
  while (env.busy) await sleep(2);
};

const contentRate = (t: { contentLines?: number; contentChunks?: number; firstContentMs?: number; lastContentMs?: number }) =>
  (((t.contentLines ?? t.contentChunks)! - 1) * 1000) / (t.lastContentMs! - t.firstContentMs!);

interface EnvironmentRun {
  coldAdded: number;
  warmAdded: number[];
  initMs: number;
  peakRssMb: number;
  /** Content lines a second through the stack, and straight from the provider, at FAST. */
  relayRate?: number;
  directRate?: number;
  /** CPU ms of the function's process per content line at STEADY, from its cgroup. */
  cpuPerChunkMs?: number;
}

const completed = (out: StreamTimes) => {
  if (!out.completed) throw new Error(`coldstart: a send did not complete: ${out.error ?? out.status}`);
  return out;
};

/**
 * One fresh environment: its cold send, warm sends a CFS period apart (a frozen
 * environment's quota is unused when the next request comes), and with INIT at full CPU
 * the relay at a fast provider's rate and the CPU per chunk at an ordinary one.
 */
const runEnvironment = async ({ stack, direct }: BenchContext, ric: RicStream, quota: CpuQuota, mode: InitMode): Promise<EnvironmentRun> => {
  const send = (message: string, onLine?: Parameters<typeof sendChat>[0]['onLine']) =>
    sendChat({ baseUrl: ric.url, token: stack.userToken, body: { modelId: stack.modelId, message }, onLine }).then(completed);
  await ric.fn.stop();
  const directCold = await directChat(direct, MESSAGE);
  const cold = await send(MESSAGE);
  const env = ric.fn.environments.at(-1)!;
  const run: EnvironmentRun = { coldAdded: firstContent(cold) - firstContent(directCold), warmAdded: [], initMs: env.initDurationMs!, peakRssMb: 0 };
  for (let i = 0; i < WARM_SENDS; i++) {
    await idle(env);
    await sleep(PERIOD_US / 1000);
    const [s, d] = await backToBack(
      i,
      () => send(MESSAGE),
      () => directChat(direct, MESSAGE),
    );
    run.warmAdded.push(firstContent(s) - firstContent(d));
  }
  if (mode === 'full') {
    await idle(env);
    const [fast, fastDirect] = await backToBack(
      0,
      () => send(relayMessage(FAST)),
      () => directChat(direct, relayMessage(FAST)),
    );
    run.relayRate = contentRate(fast);
    run.directRate = contentRate(fastDirect);
    await idle(env);
    let first: number | undefined;
    let last = 0;
    const steady = await send(relayMessage(STEADY), (type) => {
      if (type !== 'content') return;
      last = quota.usedMs();
      first ??= last;
    });
    run.cpuPerChunkMs = (last - first!) / (steady.contentLines - 1);
  }
  await idle(env);
  run.peakRssMb = peakRssMb(env.pid!);
  return run;
};

/**
 * The chat page opened, then a send THINK_MS later: the api's warm-ahead (core/warm-ahead.ts)
 * asks the function for an instance through Lambda's Invoke API (its stand-in here, in
 * front of the same runtime harness), with none idle; first content added to the send.
 */
const runAfterPageOpened = async ({ stack, direct }: BenchContext, ric: RicStream): Promise<number> => {
  await ric.fn.stop();
  const invokeApi = createInvokeApi({ [ric.fn.config.name]: ric.fn });
  invokeApi.server.listen(0, '127.0.0.1');
  try {
    await once(invokeApi.server, 'listening');
    const endpoint = `http://127.0.0.1:${(invokeApi.server.address() as AddressInfo).port}`;
    await createStreamWarmer({ functionName: ric.fn.config.name, region: 'us-east-1', endpoint, everyMs: 0 }).nudge();
    await sleep(THINK_MS);
    const directSend = await directChat(direct, MESSAGE);
    const send = completed(await sendChat({ baseUrl: ric.url, token: stack.userToken, body: { modelId: stack.modelId, message: MESSAGE } }));
    if (ric.fn.environments.filter((env) => env.alive).length !== 1)
      throw new Error('coldstart: the send after warm-ahead did not find the instance it started');
    return firstContent(send) - firstContent(directSend);
  } finally {
    invokeApi.server.closeAllConnections();
    invokeApi.server.close();
  }
};

/** Fresh environments of `fn` at the share of `memoryMb`, with INIT at full CPU or held too, each measured by `measure`. */
const measureEnvironments = async <T>(
  fn: DeployedFunction,
  { memoryMb, env, mode, name }: { memoryMb: number; env: Record<string, string>; mode: InitMode; name: string },
  measure: (ric: RicStream, quota: CpuQuota) => Promise<T>,
): Promise<T[]> => {
  const quota = createCpuQuota(`bench-coldstart-${process.pid}-${name}`, lambdaShare(memoryMb));
  try {
    const hooks = mode === 'full' ? { initialized: (pid: number) => quota.add(pid) } : { spawned: (pid: number) => quota.add(pid) };
    const ric = await startRicStream(fn, { memoryMb, env, hooks });
    try {
      const runs: T[] = [];
      for (let i = 0; i < ENVIRONMENTS; i++) runs.push(await measure(ric, quota));
      return runs;
    } finally {
      await ric.stop();
    }
  } finally {
    quota.remove();
  }
};

const p50 = (values: number[]) => Math.round(median(values) * 10) / 10;

/** What a function's environments read: cold with INIT at full CPU and throttled, warm, INIT, RSS, the relay. */
const summarize = ({ full, throttled }: Record<InitMode, EnvironmentRun[]>) => ({
  coldFull: distribution(full.map((r) => r.coldAdded)),
  coldThrottled: distribution(throttled.map((r) => r.coldAdded)),
  warm: distribution([...full, ...throttled].flatMap((r) => r.warmAdded)),
  initFull: distribution(full.map((r) => r.initMs)),
  initThrottled: distribution(throttled.map((r) => r.initMs)),
  peakRssMb: Math.max(...[...full, ...throttled].map((r) => r.peakRssMb)),
  relayRate: distribution(full.map((r) => r.relayRate!)),
  directRate: distribution(full.map((r) => r.directRate!)),
  keptUp: Math.min(...full.map((r) => r.relayRate! / r.directRate!)),
  cpuPerChunkMs: distribution(full.map((r) => r.cpuPerChunkMs!)),
});
type Summary = ReturnType<typeof summarize>;

const figuresText = (s: Summary) =>
  `cold ${fmt(s.coldFull.p50, 'ms', 0)} (INIT full) / ${fmt(s.coldThrottled.p50, 'ms', 0)} (INIT throttled); warm ${fmt(s.warm.p50)}; relay ${Math.round(s.relayRate.p50)} chunks/s, ${fmt(s.cpuPerChunkMs.p50, 'ms', 3)} CPU a chunk at ${STEADY.rate}/s`;

/**
 * Figure 10: the stream function at the CPU share Lambda gives it (memory / 1,769 MB of
 * one vCPU), measured. The deployed bundle runs under aws-lambda-ric through the
 * project's Runtime API harness with only the function's process in a cgroup CPU quota
 * (from its INIT's end, or from its start), five fresh environments a size: first
 * content added to a direct client's on a cold and on warm sends, INIT duration, peak
 * RSS, the relay's rate with a provider sending 1,000 chunks a second and the CPU it
 * spends a chunk at 100 a second. Two floors are measured the same way at the default
 * size: a pass-through function with no dependency, and the same calling the model
 * through `openai`, the least any function that must use that client can do. Skipped
 * where cgroups cannot be written.
 */
export const measureColdStart = async (context: BenchContext) => {
  const { stack, progress } = context;
  const unavailable = ricMissing() ?? cpuQuotaUnavailable();
  if (unavailable) {
    progress(`coldstart: skipped: ${unavailable}`);
    return { rows: [{ figure: '10. stream function at its CPU share', value: `skipped: ${unavailable}` }], data: { skipped: unavailable } };
  }
  const synthesized = synth({}, { bundle: true });
  const deployed = deployedFunction(synthesized, 'stream');
  const env = localEnvironment(stack.handlerEnv, deployed);
  const sizes = [...new Set([...SIZES, deployed.memoryMb])].sort((a, b) => a - b);
  const results: Record<number, Record<InitMode, EnvironmentRun[]>> = {};
  const floors = {} as Record<Floor, Record<InitMode, EnvironmentRun[]>>;
  const pageOpened: Record<InitMode, number[]> = { full: [], throttled: [] };
  const openAiFloorDir = mkdtempSync(join(tmpdir(), 'bench-floor-openai-'));
  try {
    for (const mb of sizes) {
      const at = (mode: InitMode) =>
        measureEnvironments(deployed, { memoryMb: mb, env, mode, name: `${mb}-${mode}` }, (ric, quota) => runEnvironment(context, ric, quota, mode));
      results[mb] = { full: await at('full'), throttled: await at('throttled') };
      const full = results[mb].full;
      progress(
        `coldstart: ${mb} MB: cold +${p50(full.map((r) => r.coldAdded))} ms (INIT full), +${p50(results[mb].throttled.map((r) => r.coldAdded))} ms (throttled), warm +${p50(full.flatMap((r) => r.warmAdded))} ms`,
      );
    }
    // The floors, at the default size: the same client, harness and quota, none of the stack's work.
    bundleFunction(OPENAI_FLOOR_ENTRY, openAiFloorDir);
    const floorEnv = { MODEL_BASE_URL: context.model.url, ...(deployed.nodeOptions ? { NODE_OPTIONS: deployed.nodeOptions } : {}) };
    for (const [floor, assetDir] of [
      ['plain', FLOOR_DIR],
      ['openai', openAiFloorDir],
    ] as const) {
      const fn: DeployedFunction = { ...deployed, assetDir, environment: {} };
      const at = (mode: InitMode) =>
        measureEnvironments(fn, { memoryMb: deployed.memoryMb, env: floorEnv, mode, name: `floor-${floor}-${mode}` }, (ric, quota) =>
          runEnvironment(context, ric, quota, mode),
        );
      floors[floor] = { full: await at('full'), throttled: await at('throttled') };
      progress(
        `coldstart: ${FLOORS[floor].name} at ${deployed.memoryMb} MB: cold +${p50(floors[floor].full.map((r) => r.coldAdded))} ms (INIT full), +${p50(floors[floor].throttled.map((r) => r.coldAdded))} ms (throttled)`,
      );
    }
    for (const mode of ['full', 'throttled'] as const) {
      pageOpened[mode] = await measureEnvironments(deployed, { memoryMb: deployed.memoryMb, env, mode, name: `page-${mode}` }, (ric) =>
        runAfterPageOpened(context, ric),
      );
    }
    progress(`coldstart: page opened ${THINK_MS} ms before the send: +${p50(pageOpened.full)} ms (INIT full), +${p50(pageOpened.throttled)} ms (throttled)`);
  } finally {
    synthesized.dispose();
    rmSync(openAiFloorDir, { recursive: true, force: true });
  }

  const summary = Object.fromEntries(sizes.map((mb) => [mb, { share: lambdaShare(mb), ...summarize(results[mb]!) }]));
  const rows: Row[] = sizes.map((mb, i) => {
    const s = summary[mb]!;
    return {
      figure: `${i ? '   ' : '10.'} stream at ${mb} MB (${(s.share * 100).toFixed(0)}% of a vCPU${mb === deployed.memoryMb ? ', the default' : ''}): first content added, p50`,
      value: figuresText(s),
      baseline: `INIT ${fmt(s.initFull.p50, 'ms', 0)} / ${fmt(s.initThrottled.p50, 'ms', 0)} throttled; peak RSS ${fmt(s.peakRssMb, 'MB', 0)}; provider ${Math.round(s.directRate.p50)} chunks/s`,
    };
  });
  const d = summary[deployed.memoryMb]!;
  const opened = { full: distribution(pageOpened.full), throttled: distribution(pageOpened.throttled) };
  const f = { plain: summarize(floors.plain), openai: summarize(floors.openai) };
  const againstFloors = (pick: (s: Summary) => Distribution) => `floor ${spread(pick(f.plain))}; through \`openai\` ${spread(pick(f.openai))}`;
  rows.push(
    {
      figure: `   cold first content added at ${deployed.memoryMb} MB, INIT at full CPU (${ENVIRONMENTS} fresh environments)`,
      value: spread(d.coldFull),
      baseline: againstFloors((s) => s.coldFull),
      target: `p50 ≤ ${TARGET.coldFullMs} ms`,
      pass: d.coldFull.p50 <= TARGET.coldFullMs,
    },
    {
      figure: `   cold first content added at ${deployed.memoryMb} MB, INIT throttled too`,
      value: spread(d.coldThrottled),
      baseline: againstFloors((s) => s.coldThrottled),
      target: `p50 ≤ ${TARGET.coldThrottledMs} ms`,
      pass: d.coldThrottled.p50 <= TARGET.coldThrottledMs,
    },
    ...(['full', 'throttled'] as const).map((mode) => ({
      figure: `   first content added at ${deployed.memoryMb} MB to a send ${THINK_MS / 1000} s after the chat page opened, none idle before (warm-ahead), INIT ${mode === 'full' ? 'at full CPU' : 'throttled'}`,
      value: spread(opened[mode]),
      target: `p50 ≤ ${mode === 'full' ? TARGET.coldFullMs : TARGET.coldThrottledMs} ms`,
      pass: opened[mode].p50 <= (mode === 'full' ? TARGET.coldFullMs : TARGET.coldThrottledMs),
    })),
    {
      figure: `   warm first content added at ${deployed.memoryMb} MB (${d.warm.n} sends)`,
      value: spread(d.warm),
      baseline: againstFloors((s) => s.warm),
      target: `p50 ≤ ${TARGET.warmMs} ms`,
      pass: d.warm.p50 <= TARGET.warmMs,
    },
    {
      figure: `   relay at ${deployed.memoryMb} MB, provider at ${FAST.rate} chunks/s (${FAST.chunks} chunks)`,
      value: `${Math.round(d.relayRate.min)}–${Math.round(d.relayRate.max)} chunks/s`,
      baseline: `direct ${Math.round(d.directRate.min)}–${Math.round(d.directRate.max)} chunks/s`,
      target: `keeps up (≥ ${TARGET.keepsUp * 100}% of direct)`,
      pass: d.keptUp >= TARGET.keepsUp,
    },
    ...(Object.keys(FLOORS) as Floor[]).map((floor) => ({
      figure: `   ${FLOORS[floor].name} at ${deployed.memoryMb} MB: ${FLOORS[floor].what} under the same runtime client, harness and quota`,
      value: figuresText(f[floor]),
      baseline: `INIT ${fmt(f[floor].initFull.p50, 'ms', 0)} / ${fmt(f[floor].initThrottled.p50, 'ms', 0)} throttled; peak RSS ${fmt(f[floor].peakRssMb, 'MB', 0)}`,
    })),
  );
  return {
    rows,
    data: {
      periodUs: PERIOD_US,
      environments: ENVIRONMENTS,
      warmSends: WARM_SENDS,
      defaultMb: deployed.memoryMb,
      sizes: summary,
      runs: results,
      floors: { plain: { ...f.plain, runs: floors.plain }, openai: { ...f.openai, runs: floors.openai } },
      pageOpened: { thinkMs: THINK_MS, ...opened, runs: pageOpened },
    },
  };
};
