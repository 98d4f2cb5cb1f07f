import { directChat } from '../harness/direct-client.ts';
import { fmt, ratioOf, type Row } from '../report.ts';
import { distribution } from '../harness/stats.ts';
import { sendChat } from '../harness/stream-client.ts';
import type { BenchContext } from './context.ts';

const CHUNKS = 2000;
const RUNS = 20;
/**
 * Sends of this shape before measuring. A burst's DynamoDB calls meet DynamoDB Local
 * busy on the same two cores; until its JVM has compiled their paths (a few hundred
 * calls), its compiler threads take more CPU per send than the send itself, a cost the
 * real service does not put on the function's machine.
 */
const WARMUP = 100;
const MESSAGE = `[[delay=0 interval=0 chunks=${CHUNKS}]] Write a long answer.`;

/** The marks of one send, in ms from the request: the same three for both ways. */
interface Marks {
  first: number;
  last: number;
  end: number;
}

/**
 * Figure 3: a 2,000-chunk reply the upstream sends as fast as it can, through the stack
 * and directly, alternated. The total is request → last content line, the reply as the
 * user gets it. The stream itself ends later, once the run is stored (one DynamoDB
 * transaction that a direct call doesn't make); that is shown beside it, with the two
 * parts of the total: the fixed pre-stream work (the checks and the run-status write
 * the first line waits for) and the relay, which grows with the reply.
 */
export const measureBurst = async ({ stack, direct, progress }: BenchContext) => {
  const viaStack = async (): Promise<Marks> => {
    const out = await sendChat({ baseUrl: stack.url, token: stack.userToken, body: { modelId: stack.modelId, message: MESSAGE } });
    if (out.contentLines !== CHUNKS || !out.completed) throw new Error(`burst through the stack: ${out.contentLines} lines, completed ${out.completed}`);
    return { first: out.firstContentMs!, last: out.lastContentMs!, end: out.endMs! };
  };
  const viaDirect = async (): Promise<Marks> => {
    const out = await directChat(direct, MESSAGE);
    if (out.contentChunks !== CHUNKS) throw new Error(`burst direct: ${out.contentChunks} chunks`);
    return { first: out.firstContentMs!, last: out.lastContentMs!, end: out.endMs };
  };
  for (let i = 0; i < WARMUP; i++) {
    await viaStack();
    await viaDirect();
  }
  const runs: Record<'stack' | 'direct', Marks[]> = { stack: [], direct: [] };
  for (let i = 0; i < RUNS; i++) {
    const order = i % 2 ? (['direct', 'stack'] as const) : (['stack', 'direct'] as const);
    for (const which of order) runs[which].push(await (which === 'stack' ? viaStack() : viaDirect()));
  }
  progress(`burst: ${RUNS} runs each way`);
  const of = (which: 'stack' | 'direct', pick: (m: Marks) => number) => distribution(runs[which].map(pick));
  const both = (pick: (m: Marks) => number) => {
    const s = of('stack', pick);
    const d = of('direct', pick);
    return { stack: s, direct: d, ratioP50: ratioOf(s.p50, d.p50) };
  };
  const total = both((m) => m.last);
  const first = both((m) => m.first);
  const relay = both((m) => m.last - m.first);
  const end = both((m) => m.end);
  const row = (figure: string, f: ReturnType<typeof both>, withRatio = true): Row => ({
    figure,
    value: fmt(f.stack.p50),
    baseline: `direct openai: ${fmt(f.direct.p50)}`,
    ratio: withRatio ? String(f.ratioP50) : '',
  });
  const rows: Row[] = [
    {
      ...row(`3. ${CHUNKS}-chunk reply, no delay: request → last content (median of ${RUNS})`, total),
      target: '≤ 1.10',
      pass: total.ratioP50 <= 1.1,
    },
    row('   of which request → first content', first, false),
    row('   of which first → last content (the relay)', relay),
    row('   request → stream end (run stored)', end),
  ];
  return {
    rows,
    data: { total, firstContent: first, relay, streamEnd: end },
  };
};
