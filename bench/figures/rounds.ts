import { randomUUID } from 'node:crypto';
import { ricMissing } from '../../test/support/lambda-runtime/ric.ts';
import { synth } from '../../test/support/synth.ts';
import { deployedFunction, localEnvironment } from '../harness/deployed.ts';
import { startDelayProxy } from '../harness/delay-proxy.ts';
import { startRicStream } from '../harness/ric-stream.ts';
import { median } from '../harness/stats.ts';
import { sendChat, type StreamTimes } from '../harness/stream-client.ts';
import { fmt, type Row } from '../report.ts';
import type { BenchContext } from './context.ts';

/** What each DynamoDB request is held, as a network to DynamoDB would hold it. */
const DELAY_MS = 40;
const SENDS = 25;
const WARMUP = 10;
/**
 * A provider's first token comes after this, as a fast real provider's does: the run's
 * status write goes out beside the model request and is back long before it, on AWS
 * (a few ms) as here (40 ms held plus DynamoDB Local's transaction, which took up to
 * 60 ms more on a loaded machine, and leaked into first content behind a 100 ms one).
 */
const UPSTREAM_MS = 300;
const MESSAGE = `[[delay=${UPSTREAM_MS} interval=0]] How far is the moon?`;
const TARGET_ROUNDS = 1.2;
const BENCH_USER = '2';
const STORED_RUNS = 50;

type Case = 'new' | 'followUp' | 'clientId';
const CASES: Record<Case, string> = {
  new: 'new session',
  followUp: `follow-up (${STORED_RUNS} runs, history on)`,
  clientId: 'new session, id made by the client',
};

const sendOk = (out: StreamTimes) => {
  if (!out.completed || out.firstContentMs === undefined || out.metaMs === undefined) throw new Error(`rounds: a send failed: ${out.error ?? out.status}`);
  return out;
};

/**
 * Figure 1's rounds: the sequential DynamoDB rounds a send waits for, as AWS would see
 * them. The deployed bundle runs under aws-lambda-ric at full CPU with DynamoDB Local
 * behind a proxy that holds every request DELAY_MS, or not at all, send by send in
 * turn: first content moves by DELAY_MS once per round the send waited for, so the
 * rounds are the difference of the medians over DELAY_MS (DynamoDB Local's own way of
 * answering requests sent together, partly one after another, is in both and cancels).
 * The same for the `meta` line.
 */
export const measureRounds = async ({ stack, progress }: BenchContext) => {
  const missing = ricMissing();
  if (missing) return { rows: [{ figure: '1. sequential DynamoDB rounds before first content', value: `skipped: ${missing}` }], data: { skipped: missing } };
  const synthesized = synth({}, { bundle: true });
  const proxy = await startDelayProxy(stack.handlerEnv.DYNAMODB_ENDPOINT!);
  const deployed = deployedFunction(synthesized, 'stream');
  const ric = await startRicStream(deployed, {
    memoryMb: deployed.memoryMb,
    env: { ...localEnvironment(stack.handlerEnv, deployed), DYNAMODB_ENDPOINT: proxy.endpoint },
  });
  const times: Record<Case, Record<'fast' | 'held', StreamTimes[]>> = {
    new: { fast: [], held: [] },
    followUp: { fast: [], held: [] },
    clientId: { fast: [], held: [] },
  };
  try {
    const session = await stack.seedSession(BENCH_USER, STORED_RUNS);
    const body = (kind: Case) => ({
      modelId: stack.modelId,
      message: MESSAGE,
      ...(kind === 'followUp' ? { sessionId: session } : kind === 'clientId' ? { sessionId: randomUUID() } : {}),
    });
    const send = (kind: Case) => sendChat({ baseUrl: ric.url, token: stack.userToken, body: body(kind) }).then(sendOk);
    for (let i = 0; i < WARMUP; i++) for (const kind of Object.keys(CASES) as Case[]) await send(kind);
    const ways = (Object.keys(CASES) as Case[]).flatMap((kind) => (['fast', 'held'] as const).map((delay) => ({ kind, delay })));
    for (let i = 0; i < SENDS; i++) {
      for (let k = 0; k < ways.length; k++) {
        const { kind, delay } = ways[(i + k) % ways.length]!;
        proxy.setDelay(delay === 'held' ? DELAY_MS : 0);
        times[kind][delay].push(await send(kind));
      }
    }
    progress(`rounds: ${SENDS} sends a case, DynamoDB requests held 0 and ${DELAY_MS} ms`);
  } finally {
    await ric.stop();
    await proxy.close();
    synthesized.dispose();
  }

  const roundsOf = (kind: Case, mark: 'firstContentMs' | 'metaMs') => {
    const at = (delay: 'fast' | 'held') => median(times[kind][delay].map((t) => t[mark]!));
    return Math.round(((at('held') - at('fast')) / DELAY_MS) * 100) / 100;
  };
  const figures = Object.fromEntries(
    (Object.keys(CASES) as Case[]).map((kind) => [
      kind,
      {
        firstContentRounds: roundsOf(kind, 'firstContentMs'),
        metaRounds: roundsOf(kind, 'metaMs'),
        firstContentMs: { fast: median(times[kind].fast.map((t) => t.firstContentMs!)), held: median(times[kind].held.map((t) => t.firstContentMs!)) },
      },
    ]),
  ) as Record<Case, { firstContentRounds: number; metaRounds: number; firstContentMs: { fast: number; held: number } }>;
  const rows: Row[] = (Object.keys(CASES) as Case[]).map((kind, i) => {
    const f = figures[kind];
    return {
      figure: `${i ? '  ' : '1.'} sequential DynamoDB rounds before first content and meta, ${CASES[kind]} (every request held ${DELAY_MS} ms)`,
      value: `first content ${f.firstContentRounds} rounds, meta ${f.metaRounds} rounds`,
      baseline: `first content p50 ${fmt(f.firstContentMs.fast)} → ${fmt(f.firstContentMs.held)} (upstream first token ${UPSTREAM_MS} ms; the deployed bundle under aws-lambda-ric, full CPU)`,
      target: `≤ ${TARGET_ROUNDS} rounds`,
      pass: f.firstContentRounds <= TARGET_ROUNDS && f.metaRounds <= TARGET_ROUNDS,
    };
  });
  return { rows, data: { delayMs: DELAY_MS, sends: SENDS, figures } };
};
