import { spread, type Row } from '../report.ts';
import { distribution } from '../harness/stats.ts';
import { callApi, sendChat, type StreamTimes } from '../harness/stream-client.ts';
import { chatUserToken } from '../harness/tokens.ts';
import type { BenchContext } from './context.ts';

const STREAMS = 200;
const CHUNKS = 30;
const LOAD_USER = 103;
const MESSAGE = `[[delay=100 interval=10 chunks=${CHUNKS}]] Load test`;
/** The whole figure gives up past this, whatever is still open. */
const TIME_LIMIT_MS = 90_000;
const CHECK_CONCURRENCY = 10;

const withTimeout = <T>(work: Promise<T>, ms: number, what: string) =>
  Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: over ${ms} ms`)), ms).unref())]);

/**
 * Figure 7: 200 streams started at once on the one local server. Completed: the run's
 * metrics line arrived after every chunk. Lost: a run that got its `run_info` (it
 * exists) but is not in its session afterwards, read back through the REST API.
 */
export const measureLoad = async ({ stack, progress }: BenchContext) => {
  const token = await chatUserToken(LOAD_USER);
  const started = Date.now();
  const settled = await withTimeout(
    Promise.allSettled(
      Array.from({ length: STREAMS }, (_, i) => sendChat({ baseUrl: stack.url, token, body: { modelId: stack.modelId, message: `${MESSAGE} ${i}` } })),
    ),
    TIME_LIMIT_MS,
    'load',
  );
  const wallMs = Date.now() - started;
  const runs = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const completed = runs.filter((r) => r.completed && r.contentLines === CHUNKS);
  const withRun = runs.filter((r): r is StreamTimes & { runId: string; sessionId: string } => !!r.runId && !!r.sessionId);

  let lost = 0;
  let next = 0;
  const check = async () => {
    while (next < withRun.length) {
      const run = withRun[next++]!;
      const detail = await callApi(stack.url, token, 'GET', `/ai/chat/session/${run.sessionId}`);
      const ids = ((detail.body.data as { messages?: { id: string }[] } | undefined)?.messages ?? []).map((m) => m.id);
      if (!ids.includes(`${run.runId}-user`)) lost += 1;
    }
  };
  await withTimeout(Promise.all(Array.from({ length: CHECK_CONCURRENCY }, check)), TIME_LIMIT_MS, 'load check');
  progress(`load: ${STREAMS} streams in ${wallMs} ms`);

  const first = distribution(completed.map((r) => r.firstContentMs!));
  const failed = STREAMS - completed.length;
  const rows: Row[] = [
    {
      figure: `7. ${STREAMS} concurrent streams`,
      value: `${completed.length} completed, ${lost} lost, ${failed} failed`,
      target: 'none lost',
      pass: lost === 0,
    },
    {
      figure: '   first content under that load',
      value: spread(first),
      baseline: 'upstream delay 100 ms',
    },
  ];
  return {
    rows,
    data: {
      streams: STREAMS,
      completed: completed.length,
      lost,
      failed,
      withoutRun: runs.length - withRun.length,
      rejected: settled.length - runs.length,
      errors: [...new Set(runs.flatMap((r) => (r.error ? [r.error] : [])))],
      wallMs,
      firstContent: first,
    },
  };
};
