import { loadRuns } from '../../../../lambdas/core/sessions/run-store.ts';
import { RUN_STATUS_ATTRIBUTES, RunStatus } from '../../../../lambdas/core/sessions/run-status.ts';
import type { RunRecord } from '../../../../lambdas/core/sessions/types.ts';
import { OK_MSG, REFUSAL_MSG, RUN_MSG } from '../../../../lambdas/core/wire/messages.ts';
import { counterDifferences, readUsageState } from '../../usage/support/audit.ts';
import type { FaultWorld, Observation } from './world.ts';

/** How long after DynamoDB answers again a kept reply may take to reach its session (the target). */
export const KEPT_WITHIN_MS = 60_000;

/** The targets' counts for one schedule; a healthy run has zeros in every `Target` field. */
export interface Verdict {
  chats: number;
  /** Refused before streaming because storage did not answer, with its own message. */
  refusedStorage: number;
  /** Streamed and stored directly. */
  stored: number;
  /** Told "kept", then stored by the drain. */
  kept: number;
  /** Of those, the longest from DynamoDB answering again (or the closing line, if later) to the run in its session. */
  keptDelayMaxMs: number;
  /** Streams that never started (storage unavailable at the run's start), told so. */
  notStarted: number;
  /** Stops pressed and how they were answered; `notPressed`: the reply ended before the chat's stop point. */
  stops: { recorded: number; notRecorded: number; runEnded: number; notPressed: number };
  /** Target 0: a reply the client saw that is not in its session, as seen. */
  lost: string[];
  /** Target 0: a client told something the store contradicts. */
  reportedWrongly: string[];
  /** Target 0: a run whose status is RUNNING after its stream ended (and its run stored, kept or given up). */
  running: string[];
  /** Target 0: a failure told in no line or in more than one, or lines after the closing one. */
  toldBadly: string[];
  /** Target 0: 系统内部错误 for a storage fault. */
  internalErrors: string[];
  /** Target 0: a stored run without exactly one ledger entry, or a counter that is not the sum of its entries. */
  usage: string[];
}

const isInternal = (text: string | undefined) => !!text && text.includes(REFUSAL_MSG.generic);

/** The stored form of a run's failure: the closing line less the note about its store. */
const storageNotes = [RUN_MSG.replyKept, RUN_MSG.saveFailed];
const runErrorOf = (line: string) => storageNotes.reduce((text, note) => text.replace(`；${note}`, '').replace(note, ''), line) || undefined;

/** A stopped chat's reply in full: 2,000 words of the server's echo (chats.ts 'stopped'). */
const fullReplyChars = (o: Observation) => (o.spec.reply === 'stopped' ? 2_000 * 3 : Number.POSITIVE_INFINITY);

/** Polls `probe` until it gives something or `untilMs` (epoch) has passed. */
export const waitFor = async <T>(probe: () => Promise<T | undefined>, untilMs: number, everyMs = 250): Promise<T | undefined> => {
  for (;;) {
    const found = await probe().catch(() => undefined);
    if (found !== undefined || Date.now() >= untilMs) return found;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
};

/**
 * Checks what every client saw against what the tables hold once DynamoDB answers
 * again (read straight from DynamoDB Local): every reply seen is in its session as seen
 * (a kept one within KEPT_WITHIN_MS of `answeringAgainAt`), each outcome was told in
 * exactly one line, no status is RUNNING, nothing says 系统内部错误.
 */
export const judge = async (
  world: FaultWorld,
  observations: Observation[],
  answeringAgainAt: number,
  /** When each run told "kept" was first seen in its session (watched while the schedule ran). */
  keptStoredAt: Map<Observation, Promise<number | undefined>>,
): Promise<Verdict> => {
  const verdict: Verdict = {
    chats: observations.length,
    refusedStorage: 0,
    stored: 0,
    kept: 0,
    keptDelayMaxMs: 0,
    notStarted: 0,
    stops: { recorded: 0, notRecorded: 0, runEnded: 0, notPressed: 0 },
    lost: [],
    reportedWrongly: [],
    running: [],
    toldBadly: [],
    internalErrors: [],
    usage: [],
  };
  const storedRuns: { name: string; runId: string }[] = [];
  const name = (o: Observation) => `#${o.spec.index} (${o.spec.reply}, ${o.spec.session})`;
  const runOf = async (o: Observation): Promise<RunRecord | undefined> => (await loadRuns(world.store, o.sessionId!)).find((run) => run.runId === o.runId);

  for (const o of observations) {
    if (o.envelope) {
      if (isInternal(o.envelope.msg)) verdict.internalErrors.push(`${name(o)}: refused with ${o.envelope.msg}`);
      else if (o.envelope.msg === REFUSAL_MSG.storageUnavailable) verdict.refusedStorage++;
      else verdict.reportedWrongly.push(`${name(o)}: refused with ${o.envelope.code} ${o.envelope.msg}`);
      continue;
    }
    const closing = o.lines.filter((l) => l.type === 'error' || l.type === 'metrics');
    const errorText = closing.find((l) => l.type === 'error')?.error as string | undefined;
    if (isInternal(errorText)) verdict.internalErrors.push(`${name(o)}: ${errorText}`);
    if (o.stop && isInternal(o.stop.answer.msg)) verdict.internalErrors.push(`${name(o)}: stop answered ${o.stop.answer.msg}`);
    if (o.lines[0]?.type !== 'meta') verdict.toldBadly.push(`${name(o)}: first line ${o.lines[0]?.type}`);
    if (closing.length > 1) verdict.toldBadly.push(`${name(o)}: ${closing.length} closing lines`);
    if (closing.length === 1 && o.lines.at(-1) !== closing[0]) verdict.toldBadly.push(`${name(o)}: lines after the closing one`);

    if (!o.runId) {
      verdict.notStarted++;
      if (closing.length !== 1 || !errorText) verdict.toldBadly.push(`${name(o)}: not started, told in ${closing.length} lines`);
      if (o.content) verdict.reportedWrongly.push(`${name(o)}: content streamed before run_info`);
      continue;
    }

    if (o.spec.stopAfter !== undefined && !o.stop) verdict.stops.notPressed++;
    if (o.stop) {
      if (o.stop.answer.msg === OK_MSG.cancelled) verdict.stops.recorded++;
      else if (o.stop.answer.msg === REFUSAL_MSG.cancelNotRecorded) verdict.stops.notRecorded++;
      else if (o.stop.answer.msg === REFUSAL_MSG.cancelFailed) verdict.stops.runEnded++;
      else verdict.reportedWrongly.push(`${name(o)}: stop answered ${o.stop.answer.code} ${o.stop.answer.msg}`);
    }

    const toldLost = !!errorText?.includes(RUN_MSG.saveFailed);
    const toldKept = !!errorText?.includes(RUN_MSG.replyKept);
    const storedAt = toldKept ? await keptStoredAt.get(o) : undefined;
    const run = await runOf(o);
    if (toldLost) {
      verdict.lost.push(`${name(o)}: told its reply is lost`);
      if (run) verdict.reportedWrongly.push(`${name(o)}: told lost, but stored`);
      continue;
    }
    if (!run) {
      verdict.lost.push(`${name(o)}: ${toldKept ? 'told kept' : 'told stored'}, not in its session`);
      if (!toldKept) verdict.reportedWrongly.push(`${name(o)}: ended on ${closing[0]?.type ?? 'nothing'}, never stored`);
      continue;
    }
    if (toldKept) {
      verdict.kept++;
      // From DynamoDB answering again, or the closing line if that came later (a run kept while faults went on).
      const delay = Math.max(0, (storedAt ?? Date.now()) - Math.max(answeringAgainAt, o.endedAt));
      verdict.keptDelayMaxMs = Math.max(verdict.keptDelayMaxMs, delay);
      if (delay > KEPT_WITHIN_MS) verdict.lost.push(`${name(o)}: kept, in its session only after ${delay} ms`);
    } else verdict.stored++;
    storedRuns.push({ name: name(o), runId: run.runId });
    if (run.content !== o.content || run.reasoning !== o.reasoning) {
      verdict.lost.push(`${name(o)}: stored ${run.content.length}/${run.reasoning.length} chars, seen ${o.content.length}/${o.reasoning.length}`);
    }
    const told = closing[0];
    const expectedStatus = told?.type === 'metrics' ? ['completed'] : errorText && runErrorOf(errorText) ? ['failed'] : ['cancelled', 'completed'];
    if (!expectedStatus.includes(run.status)) verdict.reportedWrongly.push(`${name(o)}: told ${told?.type ?? 'nothing'}, stored ${run.status}`);
    if (run.status === 'failed' && run.error !== runErrorOf(errorText ?? ''))
      verdict.reportedWrongly.push(`${name(o)}: told "${errorText}", stored "${run.error}"`);
    if (!told && run.status !== 'cancelled') verdict.toldBadly.push(`${name(o)}: no closing line, stored ${run.status}`);
    if (o.stop?.answer.msg === OK_MSG.cancelled && run.status === 'completed' && run.content.length >= fullReplyChars(o)) {
      verdict.reportedWrongly.push(`${name(o)}: told stopped, ran to its end`);
    }
  }

  // No status RUNNING once every stream ended and every kept write was drained.
  await waitFor(
    async () => (world.keptRuns.queue.depth().visible + world.keptRuns.queue.depth().inFlight === 0 ? true : undefined),
    Date.now() + KEPT_WITHIN_MS,
  );
  const users = new Set(observations.map((o) => `${o.spec.user}`));
  const statuses = await scanStatuses(world);
  for (const item of statuses) {
    if (users.has(String(item[RUN_STATUS_ATTRIBUTES.owner])) && item[RUN_STATUS_ATTRIBUTES.status] === RunStatus.RUNNING) {
      verdict.running.push(`run ${String(item.runId)} of user ${String(item[RUN_STATUS_ATTRIBUTES.owner])}`);
    }
  }
  // The run's usage rode in its final write, however often that was tried or replayed.
  const usage = await readUsageState(world.store);
  for (const { name: chat, runId } of storedRuns) {
    const entries = usage.entries.filter((e) => e.runId === runId).length;
    if (entries !== 1) verdict.usage.push(`${chat}: ${entries} ledger entries`);
  }
  verdict.usage.push(...counterDifferences(usage, { settled: false }));
  return verdict;
};

const scanStatuses = async (world: FaultWorld) => {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const out = await world.store.db.scan({
      TableName: world.store.tables.sessions,
      FilterExpression: 'begins_with(pk, :p)',
      ExpressionAttributeValues: { ':p': 'RUNSTATUS#' },
      ConsistentRead: true,
      ExclusiveStartKey,
    });
    items.push(...(out.Items ?? []));
    ExclusiveStartKey = out.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
};

/** The counts that must be zero. */
export const misses = (v: Verdict) => ({
  lost: v.lost,
  reportedWrongly: v.reportedWrongly,
  running: v.running,
  toldBadly: v.toldBadly,
  internalErrors: v.internalErrors,
  usage: v.usage,
});
