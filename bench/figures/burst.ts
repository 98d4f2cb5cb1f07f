import { directChat } from '../direct-client.ts';
import { fmt, ratioOf, type Row } from '../report.ts';
import { distribution } from '../stats.ts';
import { sendChat } from '../stream-client.ts';
import type { BenchContext } from './context.ts';

const CHUNKS = 2000;
const RUNS = 10;
const MESSAGE = `[[delay=0 interval=0 chunks=${CHUNKS}]] Write a long answer.`;

/**
 * Figure 3: a 2,000-chunk reply the upstream sends as fast as it can, start to end
 * through the stack (request → last byte, the run stored) and directly (request →
 * stream done), alternated. Beside it the two parts: request → first content (the
 * fixed pre-stream work, as in figures 1 and 2, plus the run-status write the first
 * line waits for) and first content → end (the relay, which grows with the reply, and
 * the one write that stores the run before the stream ends).
 */
export const measureBurst = async ({ stack, direct, progress }: BenchContext) => {
  const viaStack = async () => {
    const out = await sendChat({ baseUrl: stack.url, token: stack.userToken, body: { modelId: stack.modelId, message: MESSAGE } });
    if (out.contentLines !== CHUNKS || !out.completed) throw new Error(`burst through the stack: ${out.contentLines} lines, completed ${out.completed}`);
    return out;
  };
  const viaDirect = async () => {
    const out = await directChat(direct, MESSAGE);
    if (out.contentChunks !== CHUNKS) throw new Error(`burst direct: ${out.contentChunks} chunks`);
    return out;
  };
  await viaStack();
  await viaDirect();
  const stackTotal: number[] = [];
  const stackSpan: number[] = [];
  const stackFirst: number[] = [];
  const directTotal: number[] = [];
  const directSpan: number[] = [];
  const directFirst: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const order = i % 2 ? ['direct', 'stack'] : ['stack', 'direct'];
    for (const which of order) {
      if (which === 'stack') {
        const out = await viaStack();
        stackTotal.push(out.endMs!);
        stackFirst.push(out.firstContentMs!);
        stackSpan.push(out.endMs! - out.firstContentMs!);
      } else {
        const out = await viaDirect();
        directTotal.push(out.endMs);
        directFirst.push(out.firstContentMs!);
        directSpan.push(out.endMs - out.firstContentMs!);
      }
    }
  }
  progress(`burst: ${RUNS} runs each way`);
  const st = distribution(stackTotal);
  const dt = distribution(directTotal);
  const ss = distribution(stackSpan);
  const ds = distribution(directSpan);
  const sf = distribution(stackFirst);
  const df = distribution(directFirst);
  const ratio = ratioOf(st.p50, dt.p50);
  const spanRatio = ratioOf(ss.p50, ds.p50);
  const rows: Row[] = [
    {
      figure: `3. ${CHUNKS}-chunk reply, no delay: total (median of ${RUNS})`,
      value: fmt(st.p50),
      baseline: `direct openai: ${fmt(dt.p50)}`,
      ratio: String(ratio),
      target: '≤ 1.10',
      pass: ratio <= 1.1,
    },
    {
      figure: '   of which request → first content',
      value: fmt(sf.p50),
      baseline: `direct openai: ${fmt(df.p50)}`,
    },
    {
      figure: '   of which first content → end (run stored)',
      value: fmt(ss.p50),
      baseline: `direct openai: ${fmt(ds.p50)}`,
      ratio: String(spanRatio),
    },
  ];
  return {
    rows,
    data: {
      total: { stack: st, direct: dt, ratioP50: ratio },
      firstContent: { stack: sf, direct: df },
      span: { stack: ss, direct: ds, ratioP50: spanRatio },
    },
  };
};
