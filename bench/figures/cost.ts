import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { ENTRY_FILE as ENTRY } from '../../lib/bundling/bundle-graph.ts';
import { tableDefinitions } from '../../lib/table-definitions.ts';
import { newImageKey } from '../../lambdas/core/images/image-policy.ts';
import { imageFilePath } from '../../lambdas/core/images/local-protocol.ts';
import { synth } from '../../test/support/synth.ts';
import type { ApiCall } from '../../test/support/api-call.ts';
import { STATUS_POLL, startUnitsProxy, type Units } from '../harness/aws-units.ts';
import { lambdaShare } from '../harness/cpu-quota.ts';
import { deployedFunction, localEnvironment, type DeployedFunction, type Handler } from '../harness/deployed.ts';
import type { Invocation, ProbeCommand, ProbeReady } from '../harness/function-probe.ts';
import { fmt, type Row } from '../report.ts';
import { chatUserToken } from '../harness/tokens.ts';
import type { BenchContext } from './context.ts';

/**
 * AWS list prices, us-east-1, as published on 2026-11-30 (aws.amazon.com/lambda/pricing,
 * /dynamodb/pricing/on-demand, /kms/pricing, /api-gateway/pricing, /cloudwatch/pricing).
 * First tiers, no free tier.
 */
export const PRICES = {
  region: 'us-east-1',
  date: '2026-11-30',
  lambdaArmGbSecond: 0.0000133334,
  /** Provisioned concurrency, arm64: each instance kept initialized, whether it runs or not. */
  lambdaArmProvisionedGbSecond: 0.0000033334,
  lambdaRequest: 0.2 / 1e6,
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  kmsRequest: 0.03 / 1e4,
  httpApiRequest: 1.0 / 1e6,
  logsIngestedGb: 0.5,
  customMetricMonth: 0.3,
} as const;

const TARGET_PER_1000 = 0.1;
/** AWS prices a month as 730 hours. */
const MONTH_S = 730 * 3600;
/** The memory a function is given must leave this much above its measured peak RSS. */
const HEADROOM = 1.5;
/** CloudWatch Logs meters 26 bytes per event on top of its text. */
const LOG_EVENT_OVERHEAD = 26;
/**
 * Lambda's own START, END and REPORT lines per invocation: not the handler's output, so
 * not measured here; their usual length.
 */
const PLATFORM_LOG = { lines: 3, bytes: 330 };
/** The key cache keeps a decrypted key 5 minutes; an instance kept busy with 10-second turns makes 30 in that time. */
const TURNS_PER_KMS_DECRYPT = 30;

/** The bench's cost user: new to the stack, so its sessions and config are its own. */
const COST_USER = 3;
const REPLY_MS = 10_000;
const TURN_CHUNKS = 1000;
const TURN_MESSAGE = `[[interval=${REPLY_MS / TURN_CHUNKS} chunks=${TURN_CHUNKS}]] Tell me about the moon.`;
const TURNS = 3;
const BURST_MESSAGE = '[[delay=0 interval=0 chunks=2000]] A long answer, as fast as it comes.';
const IMAGE_BYTES = 1_500_000;
/** Stream memory sizes the trade-off row prices, beside the configured one. */
const STREAM_SIZES = [160, 256, 512, 1024, 1769] as const;

interface Probe {
  ready: ProbeReady;
  invoke(call: ApiCall, stream: boolean): Promise<Invocation>;
  stop(): Promise<void>;
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/** The probe script, built once with esbuild so the measured node runs no TypeScript loader. */
const buildProbe = async (work: string) => {
  const outfile = join(work, 'probe.mjs');
  await build({
    entryPoints: [here('../harness/function-probe.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'error',
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  return outfile;
};

const startProbe = async (probeFile: string, name: Handler, fn: DeployedFunction, env: Record<string, string>): Promise<Probe> => {
  const child: ChildProcess = fork(probeFile, [join(fn.assetDir, ENTRY), name, String(fn.timeoutS)], {
    execPath: process.env.LAMBDA_NODE ?? process.execPath,
    execArgv: process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : [],
    env,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const ready = await new Promise<ProbeReady>((resolve, reject) => {
    child.once('message', (m) => resolve(m as ProbeReady));
    child.once('exit', (code) => reject(new Error(`${name} probe exited (${code}) before it was ready`)));
  });
  let nextId = 1;
  const waiting = new Map<number, (answer: Invocation) => void>();
  child.on('message', (m: Invocation) => waiting.get(m.id)?.(m));
  return {
    ready,
    invoke: (call, stream) =>
      new Promise((resolve) => {
        const id = nextId++;
        waiting.set(id, resolve);
        child.send({ id, call, stream } satisfies ProbeCommand);
      }),
    stop: async () => {
      child.send({ id: 0, exit: true } satisfies ProbeCommand);
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
};

/** An api call's billed time at `memoryMb`: its CPU runs at the function's share of a vCPU. */
const billedApiMs = (inv: Invocation, memoryMb: number) => inv.wallMs + inv.cpuMs * (1 / lambdaShare(memoryMb) - 1);

/**
 * A stream turn's billed time at `memoryMb`. The relay (first to last content) takes the
 * reply's nominal 10 s, not this machine's (the model server's timers drift under load);
 * its CPU is spread over that time and lengthens it only if it needs more than the share
 * gives. The work before the first and after the last line is serial: its CPU is
 * stretched by the share.
 */
const billedTurnMs = (inv: Invocation, memoryMb: number) => {
  const { before, relay, after } = inv.phases!;
  const serial = before.wall + after.wall + (before.cpu + after.cpu) * (1 / lambdaShare(memoryMb) - 1);
  return serial + Math.max(REPLY_MS, relay.cpu / lambdaShare(memoryMb));
};

const logGb = (inv: Invocation) => (inv.logBytes + (inv.logLines + PLATFORM_LOG.lines) * LOG_EVENT_OVERHEAD + PLATFORM_LOG.bytes) / 1e9;

const streamCompleted = (inv: Invocation) => {
  if (!inv.body.includes('"type":"metrics"')) throw new Error(`cost: a stream turn did not complete: ${inv.body.slice(-300)}`);
};

/** A turn's reads with its status polls counted for the billed (nominal) time rather than this machine's. */
const nominalReads = (turn: { stream: Invocation; units: Units }, memoryMb: number) => {
  const polls = turn.units.byOperation[STATUS_POLL]?.read ?? 0;
  return turn.units.read - polls + (polls * billedTurnMs(turn.stream, memoryMb)) / turn.stream.wallMs;
};

const average = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const usd = (value: number) => `$${value.toFixed(4)}`;

/**
 * Figure 8: infrastructure cost per 1,000 chat turns, everything but the model. Each
 * function runs from its deployed bundle in a node of its own (function-probe.ts) with
 * the deployed environment, against the running stack's DynamoDB Local through a proxy
 * that counts request units by AWS's rules (aws-units.ts) and the bench's model server.
 * A turn is a 10-second reply of 1,000 tokens, in a conversation of three as the RuoYi
 * page makes it: 新建对话 (a client-made session id), two follow-ups, one refresh of the
 * session list after the first (the page's only API Gateway request in a conversation;
 * the stream goes to the function URL). Peak RSS and CPU per turn, and under a
 * 2,000-chunk reply and an image message, against the memory the stack configures.
 */
export const measureCost = async ({ stack, progress }: BenchContext) => {
  const synthesized = synth({}, { bundle: true });
  const work = mkdtempSync(join(tmpdir(), 'bench-cost-'));
  const tables = Object.fromEntries(tableDefinitions.map((def) => [stack.handlerEnv[def.envVar]!, def]));
  const units = await startUnitsProxy(stack.handlerEnv.DYNAMODB_ENDPOINT!, tables);
  const probes: Probe[] = [];
  try {
    const probeFile = await buildProbe(work);
    const fns = { stream: deployedFunction(synthesized, 'stream'), api: deployedFunction(synthesized, 'api') };
    const envFor = (name: Handler) => ({
      ...localEnvironment(stack.handlerEnv, fns[name]),
      DYNAMODB_ENDPOINT: units.endpoint,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fns[name].memoryMb),
    });
    const streamProbe = await startProbe(probeFile, 'stream', fns.stream, envFor('stream'));
    probes.push(streamProbe);
    const apiProbe = await startProbe(probeFile, 'api', fns.api, envFor('api'));
    probes.push(apiProbe);
    const authorization = `Bearer ${await chatUserToken(COST_USER)}`;
    const send = (body: Record<string, unknown>) => streamProbe.invoke({ method: 'POST', path: '/', authorization, body }, true);

    // The first invocation is a cold start's (its connections, code run for the first time), not a turn's.
    const firstTurn = await send({ modelId: stack.modelId, message: '[[interval=0]] warm up' });
    streamCompleted(firstTurn);
    await apiProbe.invoke({ method: 'GET', path: '/ai/chat/session/list', authorization }, false);
    units.take();

    const sessionId = randomUUID();
    const turns: { stream: Invocation; units: Units }[] = [];
    for (let i = 0; i < TURNS; i++) {
      const inv = await send({ modelId: stack.modelId, message: TURN_MESSAGE, sessionId });
      streamCompleted(inv);
      turns.push({ stream: inv, units: units.take() });
      progress(`cost: turn ${i + 1} of ${TURNS}, ${Math.round(inv.wallMs)} ms`);
    }
    const list = await apiProbe.invoke({ method: 'GET', path: '/ai/chat/session/list', authorization }, false);
    if (!list.body.includes(sessionId)) throw new Error('cost: the session list does not show the new session');
    const listUnits = units.take();

    const burst = await send({ modelId: stack.modelId, message: BURST_MESSAGE });
    streamCompleted(burst);
    const imageKey = newImageKey(String(COST_USER), 'image/png');
    const imagePath = imageFilePath(stack.handlerEnv.LOCAL_IMAGE_DIR!, imageKey)!;
    mkdirSync(dirname(imagePath), { recursive: true });
    writeFileSync(imagePath, Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(IMAGE_BYTES - 8, 7)]));
    const image = await send({ modelId: stack.modelId, message: '[[interval=0]] What is in this picture?', images: [imageKey] });
    streamCompleted(image);
    units.take();
    progress('cost: burst and image turns');

    const memory = { stream: fns.stream.memoryMb, api: fns.api.memoryMb };
    const streamGbSAt = (mb: number) => average(turns.map((t) => (billedTurnMs(t.stream, mb) / 1000) * (mb / 1024)));
    const perTurn = {
      streamGbS: streamGbSAt(memory.stream),
      apiGbS: ((billedApiMs(list, memory.api) / 1000) * (memory.api / 1024)) / TURNS,
      lambdaRequests: 1 + 1 / TURNS,
      readUnits: average(turns.map((t) => nominalReads(t, memory.stream))) + listUnits.read / TURNS,
      writeUnits: average(turns.map((t) => t.units.write)) + listUnits.write / TURNS,
      kmsRequests: 1 / TURNS_PER_KMS_DECRYPT,
      httpApiRequests: 1 / TURNS,
      logGb: average(turns.map((t) => logGb(t.stream))) + logGb(list) / TURNS,
    };
    /** Lambda per 1,000 turns with the stream function at `mb` (the trade-off row prices other sizes the same way). */
    const lambdaPer1000At = (mb: number) =>
      1000 * ((streamGbSAt(mb) + perTurn.apiGbS) * PRICES.lambdaArmGbSecond + perTurn.lambdaRequests * PRICES.lambdaRequest);
    const per1000 = {
      lambda: lambdaPer1000At(memory.stream),
      dynamodb: 1000 * (perTurn.readUnits * PRICES.dynamoReadUnit + perTurn.writeUnits * PRICES.dynamoWriteUnit),
      kms: 1000 * perTurn.kmsRequests * PRICES.kmsRequest,
      apiGateway: 1000 * perTurn.httpApiRequests * PRICES.httpApiRequest,
      logs: 1000 * perTurn.logGb * PRICES.logsIngestedGb,
    };
    const total = Object.values(per1000).reduce((a, b) => a + b, 0);
    const metricSeries = new Set([...turns.map((t) => t.stream), list, burst, image].flatMap((inv) => inv.metricSeries));

    const peak = (name: Handler) => (name === 'stream' ? Math.max(burst.peakRssMb, image.peakRssMb, ...turns.map((t) => t.stream.peakRssMb)) : list.peakRssMb);
    const turnCpu = average(turns.map((t) => t.stream.cpuMs));
    const rows: Row[] = [
      {
        figure: `8. infrastructure cost per 1,000 turns (10 s, 1,000-token replies; ${PRICES.region} list prices of ${PRICES.date})`,
        value: usd(total),
        baseline: `Lambda ${usd(per1000.lambda)}, DynamoDB ${usd(per1000.dynamodb)}, logs ${usd(per1000.logs)}, HTTP API ${usd(per1000.apiGateway)}, KMS ${usd(per1000.kms)}`,
        target: `≤ $${TARGET_PER_1000.toFixed(2)}`,
        pass: total <= TARGET_PER_1000,
      },
      {
        figure: `   Lambda per turn (arm64 $${PRICES.lambdaArmGbSecond}/GB-s, $0.20/M requests)`,
        value: `stream ${fmt(perTurn.streamGbS, 'GB-s', 3)} at ${memory.stream} MB; api ${fmt(perTurn.apiGbS, 'GB-s', 5)} at ${memory.api} MB; ${perTurn.lambdaRequests.toFixed(2)} requests`,
        baseline: `billed turn ${fmt(average(turns.map((t) => billedTurnMs(t.stream, memory.stream))), 'ms', 0)}: the 10 s relay + ${fmt(average(turns.map((t) => t.stream.phases!.before.wall + t.stream.phases!.after.wall)), 'ms', 0)} before and after it, CPU at the share`,
      },
      {
        figure: '   DynamoDB per turn, by AWS rules ($0.125/M RRU, $0.625/M WRU)',
        value: `${perTurn.readUnits.toFixed(1)} RRU, ${perTurn.writeUnits.toFixed(1)} WRU`,
        baseline: breakdown(turns.map((t) => t.units)),
      },
      {
        figure: '   logs per turn ($0.50/GB ingested), KMS, metrics',
        value: `${fmt(perTurn.logGb * 1e9, 'B', 0)} (handlers ${fmt(average(turns.map((t) => t.stream.logBytes)), 'B', 0)} + Lambda's own ${PLATFORM_LOG.bytes} B)`,
        baseline: `KMS 1 decrypt per ${TURNS_PER_KMS_DECRYPT} turns (key cache); ${metricSeries.size} metric series: $${(metricSeries.size * PRICES.customMetricMonth).toFixed(2)}/month, not per turn`,
      },
      ...(['stream', 'api'] as const).map((name) => ({
        figure: `   ${name} function: peak RSS, memory`,
        value: `${fmt(peak(name), 'MB', 0)} peak → ${memory[name]} MB configured`,
        target: `≤ ${memory[name]} MB / ${HEADROOM}`,
        pass: peak(name) * HEADROOM <= memory[name],
        baseline:
          name === 'stream'
            ? `turn ${fmt(average(turns.map((t) => t.stream.peakRssMb)), 'MB', 0)}, 2,000 chunks ${fmt(burst.peakRssMb, 'MB', 0)}, ${IMAGE_BYTES / 1e6} MB image ${fmt(image.peakRssMb, 'MB', 0)}`
            : `after a session list`,
      })),
      {
        figure: '   stream CPU per turn (full vCPU)',
        value: `turn ${fmt(turnCpu)} (before first content ${fmt(average(turns.map((t) => t.stream.phases!.before.cpu)))}, after last ${fmt(average(turns.map((t) => t.stream.phases!.after.cpu)))}), 2,000 chunks ${fmt(burst.cpuMs)}, image ${fmt(image.cpuMs)}`,
        baseline: `at ${memory.stream} MB, ${(lambdaShare(memory.stream) * 100).toFixed(0)}% of a vCPU`,
      },
      {
        figure: '   stream INIT: import and warm-up (full vCPU)',
        value: fmt(streamProbe.ready.importMs),
        baseline: `api import ${fmt(apiProbe.ready.importMs)}; at the CPU share Lambda gives: figure 10`,
      },
    ];
    // The memory size's price; what it buys in latency is measured in figure 10.
    const totalAt = (mb: number) => total - per1000.lambda + lambdaPer1000At(mb);
    const provisionedMonth = (mb: number) => PRICES.lambdaArmProvisionedGbSecond * (mb / 1024) * MONTH_S;
    rows.push(
      {
        figure: '   stream memory: cost per 1,000 turns',
        value: STREAM_SIZES.map((mb) => `${mb} MB ${usd(totalAt(mb))}`).join('; '),
        baseline: `set with context streamMemoryMb (default ${memory.stream})`,
      },
      {
        figure: `   provisioned concurrency: an instance kept initialized, a month (730 h, $${PRICES.lambdaArmProvisionedGbSecond}/GB-s)`,
        value: `${usd(provisionedMonth(memory.stream))} at ${memory.stream} MB`,
        baseline: STREAM_SIZES.map((mb) => `${mb} MB ${usd(provisionedMonth(mb))}`).join('; '),
      },
    );
    return {
      rows,
      data: {
        prices: PRICES,
        memory,
        perTurn,
        per1000,
        total,
        turns,
        list,
        listUnits,
        burst: { ...burst, body: undefined },
        image: { ...image, body: undefined },
        firstTurn: { ...firstTurn, body: undefined },
        sizes: Object.fromEntries(STREAM_SIZES.map((mb) => [mb, { usdPer1000: totalAt(mb), provisionedMonth: provisionedMonth(mb) }])),
        imports: { stream: streamProbe.ready, api: apiProbe.ready },
      },
    };
  } finally {
    await Promise.all(probes.map((p) => p.stop()));
    await units.close();
    rmSync(work, { recursive: true, force: true });
    synthesized.dispose();
  }
};

/** Where a turn's units go, by operation (averaged over the turns). */
const breakdown = (turns: Units[]): string => {
  const ops = new Map<string, { read: number; write: number; calls: number }>();
  for (const t of turns) {
    for (const [op, u] of Object.entries(t.byOperation)) {
      const sum = ops.get(op) ?? { read: 0, write: 0, calls: 0 };
      ops.set(op, { read: sum.read + u.read / turns.length, write: sum.write + u.write / turns.length, calls: sum.calls + u.calls / turns.length });
    }
  }
  return [...ops]
    .map(
      ([op, u]) =>
        `${op} ×${u.calls.toFixed(0)}: ${u.read ? `${u.read.toFixed(1)} R` : ''}${u.read && u.write ? ' ' : ''}${u.write ? `${u.write.toFixed(0)} W` : ''}`,
    )
    .join('; ');
};
