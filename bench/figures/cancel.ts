import { spread, type Row } from '../report.ts';
import { distribution, msSince } from '../harness/stats.ts';
import { callApi, sendChat } from '../harness/stream-client.ts';
import type { BenchContext } from './context.ts';

const RUNS = 20;
const MESSAGE = '[[delay=0 interval=20 chunks=5000]] Keep talking until I stop you.';
const CONTENT_BEFORE_CANCEL = 3;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The first upstream abort seen at or after `since`, waiting a little for the model server's report. */
const abortAfter = async (aborts: bigint[], since: bigint): Promise<bigint | undefined> => {
  for (let waited = 0; waited < 2000; waited += 10) {
    const found = aborts.find((at) => at >= since);
    if (found !== undefined) return found;
    await sleep(10);
  }
  return undefined;
};

/**
 * Figure 4: a run streaming, the cancel API called at a random point of the poll period
 * (the stream notices on its next poll, so a fixed moment would measure one phase only);
 * from the cancel API's answer to the end of the stream, and to the upstream response
 * being closed (seen by the model server).
 */
export const measureCancel = async ({ stack, model, progress }: BenchContext) => {
  const toEnd: number[] = [];
  const toUpstream: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let runId: string | undefined;
    let release!: () => void;
    const streaming = new Promise<void>((resolve) => {
      release = resolve;
    });
    const run = sendChat({
      baseUrl: stack.url,
      token: stack.userToken,
      body: { modelId: stack.modelId, message: MESSAGE },
      onLine: (type, times) => {
        if (type === 'content' && times.contentLines === CONTENT_BEFORE_CANCEL) {
          runId = times.runId;
          release();
        }
      },
    });
    await Promise.race([streaming, run]);
    if (!runId) throw new Error(`cancel: the run did not start streaming: ${JSON.stringify(await run)}`);
    await sleep(Math.random() * stack.pollMs);
    const cancelSent = process.hrtime.bigint();
    const answer = await callApi(stack.url, stack.userToken, 'POST', '/ai/chat/cancel', { runId });
    if (answer.body.code !== 200) throw new Error(`cancel refused: ${JSON.stringify(answer.body)}`);
    const ended = await run;
    const upstreamClosed = await abortAfter(model.aborts, cancelSent);
    if (!ended.endedAt || upstreamClosed === undefined) throw new Error('cancel: the stream or the upstream did not close');
    toEnd.push(msSince(answer.answeredAt, ended.endedAt));
    toUpstream.push(msSince(answer.answeredAt, upstreamClosed));
  }
  progress(`cancel: ${RUNS} runs`);
  const end = distribution(toEnd);
  const upstream = distribution(toUpstream);
  const rows: Row[] = [
    {
      figure: `4. cancel answered → stream end (${RUNS} runs, poll ${stack.pollMs} ms)`,
      value: spread(end),
      target: 'p95 ≤ 400 ms',
      pass: end.p95 <= 400,
    },
    {
      figure: '   cancel answered → upstream closed',
      value: spread(upstream),
      target: 'p95 ≤ 400 ms',
      pass: upstream.p95 <= 400,
    },
  ];
  return { rows, data: { pollMs: stack.pollMs, toStreamEnd: end, toUpstreamClosed: upstream } };
};
