import { backToBack, directChat, firstContent, type Turn } from '../harness/direct-client.ts';
import { fmt, spread, type Row } from '../report.ts';
import { distribution, median, type Distribution } from '../harness/stats.ts';
import { relayChat, sendChat } from '../harness/stream-client.ts';
import type { BenchContext } from './context.ts';

const SENDS = 30;
/**
 * Sends before measuring: the JIT of this process, of the stack's and of DynamoDB
 * Local's JVM (whose first hundreds of calls are several times slower, a cost the real
 * service does not have), kept-alive sockets, the key and DNS caches.
 */
const WARMUP = 100;
const WARMUP_MESSAGE = '[[delay=0 interval=0]] warm up';
const DELAYS_MS = [100, 600] as const;
/** The bench's chat user (the stack's `userToken`) and the size of the session a follow-up continues. */
const BENCH_USER = '2';
const STORED_RUNS = 50;
/** GetItems timed per send, beside the sends, so drift in the machine hits both alike. */
const GETS_PER_SEND = 3;
/** Widths of the GetItem rounds timed: one alone, and as many together as a turn's checks send. */
const ROUND_WIDTHS = [1, 2, 3, 4, 5] as const;

const message = (delayMs: number) => `[[delay=${delayMs} interval=1]] How far is the moon?`;

/**
 * What the stack puts before a follow-up's message with the default config (history
 * on, 3 runs): the direct baseline sends as many turns of the same size, so both ways
 * send prompts of the same length.
 */
const SEEDED_TURN: Turn[] = [
  { role: 'user', content: 'Seeded session 0: a question of ordinary length for a chat.' },
  { role: 'assistant', content: 'A seeded answer of a few sentences. '.repeat(8) },
];
const FOLLOW_UP_HISTORY = [...SEEDED_TURN, ...SEEDED_TURN, ...SEEDED_TURN];

type Kind = 'new' | 'followUp';

interface Sample {
  /** Stack minus direct, send by send (each pair sent back to back). */
  added: number[];
  stack: number[];
  direct: number[];
  /** Sequential DynamoDB rounds the model request waited for, read off the wire, and the requests in them. */
  rounds: number[];
  requests: number[];
  /** Where the stack's time to the model request went, send by send (see WaitedRounds). */
  before: number[];
  round: number[];
  after: number[];
}

/**
 * Figures 1 and 2: first content through the stack and directly with the `openai` client
 * for a new session and for a follow-up (a session of 50 stored runs, history on), at
 * two upstream first-token delays; the added latency in ms and in rounds of DynamoDB
 * requests. A round is timed on the stack's own client against the same DynamoDB Local,
 * between the sends, as many GetItems sent together as the send's checks sent (DynamoDB
 * Local answers requests sent together partly one after another, which AWS's DynamoDB
 * does not: one GetItem alone would count a round of four as several); the rounds the
 * model request waited for are also read off the wire. Every kind of send is rotated so
 * drift in the machine hits every way; and request → `meta` from the new-session sends.
 * These rounds are shown, not held to a target: DynamoDB Local's partly serial answers
 * blur them; rounds.ts counts the rounds as AWS would see them.
 */
export const measureLatency = async ({ stack, direct, progress }: BenchContext) => {
  const sessions = Object.fromEntries(
    await Promise.all(DELAYS_MS.map(async (delay) => [delay, await stack.seedSession(BENCH_USER, STORED_RUNS)] as const)),
  ) as Record<(typeof DELAYS_MS)[number], string>;
  for (let i = 0; i < WARMUP; i++) {
    await sendChat({ baseUrl: stack.url, token: stack.userToken, body: { modelId: stack.modelId, message: WARMUP_MESSAGE } });
    await directChat(direct, WARMUP_MESSAGE);
  }
  for (const width of ROUND_WIDTHS) await stack.timeGetItems(WARMUP, width);
  for (let i = 0; i < WARMUP; i++) await relayChat(stack.relayUrl, WARMUP_MESSAGE);
  await stack.timeChecks(WARMUP);
  await stack.timeChecks(WARMUP, sessions[DELAYS_MS[0]]);

  const samples = new Map<string, Sample>();
  const sample = (delay: number, kind: Kind) => {
    const key = `${delay}:${kind}`;
    if (!samples.has(key)) samples.set(key, { added: [], stack: [], direct: [], rounds: [], requests: [], before: [], round: [], after: [] });
    return samples.get(key)!;
  };
  const meta: number[] = [];
  const roundTimes = new Map<number, number[]>(ROUND_WIDTHS.map((width) => [width, []]));
  const checks: Record<Kind, number[]> = { new: [], followUp: [] };
  const relayAdded = new Map<number, number[]>(DELAYS_MS.map((delay) => [delay, []]));
  const viaRelay = (delay: (typeof DELAYS_MS)[number]) => async (turn: number) => {
    const [r, d] = await backToBack(
      turn,
      () => relayChat(stack.relayUrl, message(delay)),
      () => directChat(direct, message(delay)),
    );
    relayAdded.get(delay)!.push(firstContent(r) - firstContent(d));
  };
  const pair = (delay: (typeof DELAYS_MS)[number], kind: Kind) => async (turn: number) => {
    const body = { modelId: stack.modelId, message: message(delay), ...(kind === 'followUp' ? { sessionId: sessions[delay] } : {}) };
    const viaStack = async () => {
      await stack.traceStart();
      const out = await sendChat({ baseUrl: stack.url, token: stack.userToken, body });
      return { out, waited: await stack.traceStop() };
    };
    const viaDirect = () => directChat(direct, message(delay), kind === 'followUp' ? FOLLOW_UP_HISTORY : []);
    const [{ out: s, waited }, d] = await backToBack(turn, viaStack, viaDirect);
    if (s.error || s.status !== 200 || !waited) throw new Error(`latency send failed: ${s.error ?? s.status}`);
    const into = sample(delay, kind);
    into.stack.push(firstContent(s));
    into.direct.push(firstContent(d));
    into.added.push(firstContent(s) - firstContent(d));
    into.rounds.push(waited.rounds);
    into.requests.push(waited.requests);
    into.before.push(waited.beforeMs);
    into.round.push(waited.roundMs);
    into.after.push(waited.afterMs);
    if (kind === 'new' && delay === DELAYS_MS[0]) meta.push(s.metaMs!);
  };
  const ways = [
    ...DELAYS_MS.flatMap((delay) => [pair(delay, 'new'), pair(delay, 'followUp'), viaRelay(delay)]),
    async () => {
      for (const width of ROUND_WIDTHS) roundTimes.get(width)!.push(...(await stack.timeGetItems(GETS_PER_SEND, width)));
      checks.new.push(...(await stack.timeChecks(GETS_PER_SEND)));
      checks.followUp.push(...(await stack.timeChecks(GETS_PER_SEND, sessions[DELAYS_MS[0]])));
    },
  ];
  for (let i = 0; i < SENDS; i++) {
    for (let k = 0; k < ways.length; k++) await ways[(i + k) % ways.length]!(i);
  }
  progress(`latency: ${SENDS} sends each way`);

  const round = (width: number) => distribution(roundTimes.get(Math.min(Math.max(width, 1), ROUND_WIDTHS.length))!);
  const inRounds = (ms: number, width: number) => Math.round((ms / round(width).p50) * 100) / 100;
  const m = distribution(meta);
  const figures: Record<
    string,
    {
      added: Distribution;
      stack: Distribution;
      direct: Distribution;
      width: number;
      wireRounds: number;
      roundsP50: number;
      roundsP95: number;
      getItemsP50: number;
    }
  > = {};
  const rows: Row[] = [];
  for (const delay of DELAYS_MS) {
    for (const kind of ['new', 'followUp'] as const) {
      const { added, stack: s, direct: d, rounds, requests, before, round: inRound, after } = sample(delay, kind);
      const a = distribution(added);
      const width = median(requests);
      const fig = {
        added: a,
        stack: distribution(s),
        direct: distribution(d),
        width,
        wireRounds: Math.max(...rounds),
        roundsP50: inRounds(a.p50, width),
        roundsP95: inRounds(a.p95, width),
        getItemsP50: inRounds(a.p50, 1),
        toModel: { before: median(before), round: median(inRound), after: median(after) },
      };
      figures[`${kind}${delay}`] = fig;
      rows.push({
        figure: `   added to first content, ${kind === 'new' ? 'new session' : `follow-up (${STORED_RUNS} runs, history on)`}, upstream ${delay} ms`,
        value: `p50 ${fmt(a.p50)} = ${fig.roundsP50} rounds / p95 ${fmt(a.p95)} = ${fig.roundsP95} rounds`,
        baseline:
          `waited for ${fig.wireRounds} round of ${width} requests (wire): to the model ${fmt(fig.toModel.before)} before the round + ${fmt(fig.toModel.round)} in it + ${fmt(fig.toModel.after)} after (p50); ` +
          `p50 = ${fig.getItemsP50} lone GetItems; stack ${spread(fig.stack)}; direct ${spread(fig.direct)}`,
      });
    }
  }
  for (const width of ROUND_WIDTHS) {
    rows.push({
      figure: `   a round of ${width} GetItem${width > 1 ? 's sent together' : ''} on the stack's client, same DynamoDB Local`,
      value: spread(round(width)),
      baseline: width > 1 ? `${Math.round((round(width).p50 / round(1).p50) * 100) / 100} × one` : `${roundTimes.get(1)!.length} timed`,
    });
  }
  const checksAlone = Object.fromEntries(
    (['new', 'followUp'] as const).map((kind) => {
      const c = distribution(checks[kind]);
      const { width, added } = figures[`${kind}${DELAYS_MS[0]}`]!;
      rows.push({
        figure: `   the checks alone, ${kind === 'new' ? 'new session' : 'follow-up'}: the function's prepareRun in the stack's process (no HTTP, token, stream or model call)`,
        value: `p50 ${fmt(c.p50)} = ${inRounds(c.p50, width)} rounds / p95 ${fmt(c.p95)}`,
        baseline: `the send's added p50 (upstream ${DELAYS_MS[0]} ms) less this: ${fmt(added.p50 - c.p50)}, the handler's own work and HTTP`,
      });
      return [kind, c];
    }),
  );
  const relay = Object.fromEntries(
    DELAYS_MS.map((delay) => {
      const r = distribution(relayAdded.get(delay)!);
      rows.push({
        figure: `   added by a pass-through relay in the stack's process (checks nothing, stores nothing), upstream ${delay} ms`,
        value: spread(r),
        baseline: 'read like the stack, against the same direct baseline: the floor of any service in between',
      });
      return [delay, r];
    }),
  );
  rows.push({ figure: '2. request → meta line', value: spread(m), target: 'p50 ≤ 30 ms', pass: m.p50 <= 30 });
  return {
    rows,
    data: { sends: SENDS, rounds: Object.fromEntries(ROUND_WIDTHS.map((w) => [w, round(w)])), firstContent: figures, checksAlone, relay, meta: m },
  };
};
