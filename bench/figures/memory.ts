import { fmt, type Row } from '../report.ts';
import { callApi, sendChat } from '../harness/stream-client.ts';
import type { BenchContext } from './context.ts';

/** A normal reply: long for a chat answer, read as it comes. */
const NORMAL = '[[delay=0 interval=0 chunks=2000]] A long answer, please.';
/** A provider that never stops, read by a client as fast as it can: stopped at the reply's bound. */
const RUNAWAY = '[[endless size=1000]] Never stop.';
/**
 * The same provider, and a client that reads nothing for a while and then cancels. One
 * character per line: the socket buffers between the stack and the client (megabytes
 * on loopback) then hold far less than the reply's bound.
 */
const SLOW = '[[endless size=1]] Never stop.';
const UNREAD_MS = 3000;
const REPLY_TOO_LONG = '回复超过长度上限，已停止生成';
/** Growth of the stack's memory a runaway or an unread run may cost: a bound, far below the function's 1,024 MB. */
const TARGET_MB = 128;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Figure 9: the stack's peak memory above where it stood, during a normal run, a
 * runaway reply (a provider without end, stopped at MAX_REPLY_CHARS) and a run whose
 * client reads nothing for 3 s (the provider is paused meanwhile, then the run cancelled).
 */
export const measureMemory = async ({ stack, progress }: BenchContext) => {
  const body = (message: string) => ({ modelId: stack.modelId, message });

  // The first run loads what every later one reuses (the SDK, clients): not a run's own cost.
  await sendChat({ baseUrl: stack.url, token: stack.userToken, body: body(NORMAL) });
  await stack.memoryStart();
  const normal = await sendChat({ baseUrl: stack.url, token: stack.userToken, body: body(NORMAL) });
  const normalGrowth = await stack.memoryStop();
  if (!normal.completed) throw new Error(`memory: the normal run did not complete: ${normal.error ?? normal.status}`);

  await stack.memoryStart();
  const runaway = await sendChat({ baseUrl: stack.url, token: stack.userToken, body: body(RUNAWAY) });
  const runawayGrowth = await stack.memoryStop();
  if (runaway.error !== REPLY_TOO_LONG) throw new Error(`memory: the runaway run ended on ${runaway.error ?? 'no error'}`);

  await stack.memoryStart();
  let release!: () => void;
  const until = new Promise<void>((resolve) => (release = resolve));
  let runId: string | undefined;
  const slow = sendChat({
    baseUrl: stack.url,
    token: stack.userToken,
    body: body(SLOW),
    onLine: (type, times) => {
      if (type === 'run_info') runId = times.runId;
    },
    pauseAt: { type: 'run_info', until },
  });
  await sleep(UNREAD_MS);
  if (!runId) throw new Error('memory: the unread run did not start');
  const cancel = await callApi(stack.url, stack.userToken, 'POST', '/ai/chat/cancel', { runId });
  if (cancel.body.code !== 200) throw new Error(`memory: cancel refused: ${JSON.stringify(cancel.body)}`);
  // The cancel is seen on the next poll; the run then ends whether or not its client reads.
  await sleep(stack.pollMs * 4);
  const slowGrowth = await stack.memoryStop();
  release();
  const unread = await slow;
  if (unread.error) throw new Error(`memory: the unread run ended on ${unread.error}`);
  progress('memory: normal, runaway and unread runs');

  const mb = (growth: { rssMb: number; heapMb: number }) => `RSS +${fmt(growth.rssMb, 'MB')}, heap +${fmt(growth.heapMb, 'MB')}`;
  const rows: Row[] = [
    {
      figure: '9. memory: runaway reply, stopped at its bound',
      value: mb(runawayGrowth),
      baseline: `normal run: ${mb(normalGrowth)}`,
      target: `< ${TARGET_MB} MB`,
      pass: runawayGrowth.rssMb < TARGET_MB,
    },
    {
      figure: `   memory: client reading nothing for ${UNREAD_MS / 1000} s`,
      value: mb(slowGrowth),
      baseline: `normal run: ${mb(normalGrowth)}`,
      target: `< ${TARGET_MB} MB`,
      pass: slowGrowth.rssMb < TARGET_MB,
    },
  ];
  return { rows, data: { normal: normalGrowth, runaway: runawayGrowth, unread: slowGrowth, runawayContentLines: runaway.contentLines } };
};
