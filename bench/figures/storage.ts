import type { CapacityTotals } from '../harness/capacity.ts';
import { ratioOf, type Row } from '../report.ts';
import { callApi, sendChat } from '../harness/stream-client.ts';
import { chatUserToken } from '../harness/tokens.ts';
import type { BenchContext } from './context.ts';

const TURNS = 50;
const LISTED_SESSIONS = 1000;
/** Users of their own, so their sessions are exactly the ones made here. */
const TURNS_USER = 101;
const LIST_USER = 102;
/** Short and fast: the run ends before its first cancel poll, which would add a read. */
const MESSAGE = '[[delay=0 interval=0]] Same question every turn.';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const units = (t: CapacityTotals) => `${t.write} WCU / ${t.read} RCU`;

const indexUnits = (t: CapacityTotals, kind: 'read' | 'write') => t.operations.filter((o) => o.kind === kind).reduce((sum, o) => sum + o.indexUnits, 0);

/** The turn (1-based) from which every later turn costs the same as the last one. */
const flatFrom = (perTurn: number[]): number => {
  let turn = perTurn.length;
  while (turn > 1 && perTurn[turn - 2] === perTurn.at(-1)) turn -= 1;
  return turn;
};

/**
 * Figure 5: capacity consumed per turn (ReturnConsumedCapacity on both handlers' own
 * clients, every call of the real code path), turn 1 against turn 50 of one session;
 * then listing 1,000 sessions and opening the 50-run session through the REST API.
 * The index's share is shown apart: turn 1 adds the session to the byUser index and
 * every later turn rewrites that small item in place (its key, the creation time, never
 * changes; it carries only the list's attributes, so each index write is one unit).
 */
export const measureStorage = async ({ stack, progress }: BenchContext) => {
  const token = await chatUserToken(TURNS_USER);
  const perTurn: CapacityTotals[] = [];
  let sessionId: string | undefined;
  for (let turn = 1; turn <= TURNS; turn++) {
    await stack.capacityStart();
    const out = await sendChat({ baseUrl: stack.url, token, body: { modelId: stack.modelId, message: MESSAGE, sessionId } });
    if (!out.completed) throw new Error(`storage turn ${turn} did not complete: ${out.error ?? out.status}`);
    sessionId ??= out.sessionId;
    // The stream ends once the run is stored; a poll still in flight would land within this.
    await sleep(20);
    perTurn.push(await stack.capacityStop());
  }
  const first = perTurn[0]!;
  const last = perTurn[TURNS - 1]!;

  await stack.capacityStart();
  const detail = await callApi(stack.url, token, 'GET', `/ai/chat/session/${sessionId}`);
  const opened = await stack.capacityStop();
  const messages = (detail.body.data as { messages?: unknown[] } | undefined)?.messages?.length;
  if (messages !== TURNS * 2) throw new Error(`session detail: ${messages} messages, expected ${TURNS * 2}`);

  await stack.seedSessions(String(LIST_USER), LISTED_SESSIONS);
  const listToken = await chatUserToken(LIST_USER);
  await stack.capacityStart();
  const list = await callApi(stack.url, listToken, 'GET', '/ai/chat/session/list');
  const listed = await stack.capacityStop();
  const listedCount = (list.body.data as unknown[] | undefined)?.length;
  if (listedCount !== LISTED_SESSIONS) throw new Error(`session list: ${listedCount} sessions, expected ${LISTED_SESSIONS}`);
  progress(`storage: ${TURNS} turns, detail, list of ${LISTED_SESSIONS}`);

  const writeRatio = ratioOf(last.write, first.write);
  const readRatio = ratioOf(last.read, first.read);
  const tableWrites = (t: CapacityTotals) => t.write - indexUnits(t, 'write');
  const rows: Row[] = [
    {
      figure: '5. storage per turn: writes, turn 50 vs turn 1',
      value: `${last.write} WCU (index ${indexUnits(last, 'write')})`,
      baseline: `turn 1: ${first.write} WCU (index ${indexUnits(first, 'write')})`,
      ratio: String(writeRatio),
      target: '= 1.0',
      pass: writeRatio === 1,
    },
    {
      figure: '   writes to table items only',
      value: `${tableWrites(last)} WCU`,
      baseline: `turn 1: ${tableWrites(first)} WCU`,
      ratio: String(ratioOf(tableWrites(last), tableWrites(first))),
    },
    {
      figure: '   writes, turn 50 vs turn 2',
      value: `${last.write} WCU`,
      baseline: `turn 2: ${perTurn[1]!.write} WCU; flat from turn ${flatFrom(perTurn.map((t) => t.write))}`,
      ratio: String(ratioOf(last.write, perTurn[1]!.write)),
    },
    {
      figure: '   reads, turn 50 vs turn 1',
      value: `${last.read} RCU`,
      baseline: `turn 1: ${first.read} RCU; flat from turn ${flatFrom(perTurn.map((t) => t.read))}`,
      ratio: String(readRatio),
    },
    { figure: `   list ${LISTED_SESSIONS} sessions`, value: units(listed), baseline: '', ratio: '', target: '' },
    { figure: `   open the ${TURNS}-run session`, value: units(opened), baseline: '', ratio: '', target: '' },
  ];
  return {
    rows,
    data: {
      turn1: first,
      turn2: perTurn[1],
      turn50: last,
      writesPerTurn: perTurn.map((t) => t.write),
      readsPerTurn: perTurn.map((t) => t.read),
      writeRatio,
      readRatio,
      writesFlatFromTurn: flatFrom(perTurn.map((t) => t.write)),
      readsFlatFromTurn: flatFrom(perTurn.map((t) => t.read)),
      listSessions: { count: LISTED_SESSIONS, ...listed },
      openSession: { runs: TURNS, ...opened },
    },
  };
};
