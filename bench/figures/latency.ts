import { directChat } from '../direct-client.ts';
import { ratioOf, spread, type Row } from '../report.ts';
import { distribution } from '../stats.ts';
import { sendChat } from '../stream-client.ts';
import type { BenchContext } from './context.ts';

const SENDS = 30;
/**
 * Sends before measuring: the JIT of this process, of the stack's and of DynamoDB
 * Local's JVM (whose first hundreds of calls are several times slower, a cost the real
 * service does not have), kept-alive sockets, the key and DNS caches.
 */
const WARMUP = 100;
const WARMUP_MESSAGE = '[[delay=0 interval=0]] warm up';
const FIRST_TOKEN_DELAY_MS = 100;
const MESSAGE = `[[delay=${FIRST_TOKEN_DELAY_MS} interval=1]] How far is the moon?`;

/**
 * Figures 1 and 2: time to the first content through the stack and directly with the
 * `openai` client, rotated send by send so drift in the machine hits every way; and
 * request → `meta` from the same stack sends.
 */
export const measureLatency = async ({ stack, direct, progress }: BenchContext) => {
  const viaStack = () => sendChat({ baseUrl: stack.url, token: stack.userToken, body: { modelId: stack.modelId, message: MESSAGE } });
  const viaDirect = () => directChat(direct, MESSAGE);
  for (let i = 0; i < WARMUP; i++) {
    await sendChat({ baseUrl: stack.url, token: stack.userToken, body: { modelId: stack.modelId, message: WARMUP_MESSAGE } });
    await directChat(direct, WARMUP_MESSAGE);
  }
  const stackFirst: number[] = [];
  const directFirst: number[] = [];
  const meta: number[] = [];
  const firstContent = (out: { firstContentMs?: number }) => {
    if (out.firstContentMs === undefined) throw new Error(`no content in a latency send: ${JSON.stringify(out)}`);
    return out.firstContentMs;
  };
  const ways = [
    async () => {
      const out = await viaStack();
      stackFirst.push(firstContent(out));
      meta.push(out.metaMs!);
    },
    async () => directFirst.push(firstContent(await viaDirect())),
  ];
  for (let i = 0; i < SENDS; i++) {
    for (let k = 0; k < ways.length; k++) await ways[(i + k) % ways.length]!();
  }
  progress(`latency: ${SENDS} sends each way`);
  const s = distribution(stackFirst);
  const d = distribution(directFirst);
  const m = distribution(meta);
  const ratio = ratioOf(s.p50, d.p50);
  const rows: Row[] = [
    {
      figure: `1. first content, ${FIRST_TOKEN_DELAY_MS} ms upstream delay (${SENDS} sends)`,
      value: spread(s),
      baseline: `direct openai: ${spread(d)}`,
      ratio: `${ratio} (p50s)`,
      target: '≤ 1.05',
      pass: ratio <= 1.05,
    },
    {
      figure: '2. request → meta line',
      value: spread(m),
      target: 'p50 ≤ 30 ms',
      pass: m.p50 <= 30,
    },
  ];
  return { rows, data: { firstContent: { stack: s, direct: d, ratioP50: ratio }, meta: m } };
};
