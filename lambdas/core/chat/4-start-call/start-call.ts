import { callModel } from '../../llm/call-model.ts';
import { createReplyLimit, ReplyTooLongError } from '../../llm/reply-limit.ts';
import type { UpstreamSink } from '../../llm/types.ts';
import { createRunStatus } from '../../sessions/run-status.ts';
import { type ActiveRun, asPhase, RUN_MSG } from '../active-run.ts';
import type { RunInputs } from '../3-load-inputs/load-inputs.ts';
import { type PlannedCall, planModelCall } from '../2-check/connect-model.ts';
import type { Watchdog, WatchdogStop } from '../stop/watchdog.ts';

export type StopReason = WatchdogStop | 'disconnected';

/** How a model call ended: `error` is what it threw, absent when it finished. */
export type CallEnd = { error?: unknown };

/** A model call whose run's status item exists: its reply is being handed on. */
export interface StartedCall {
  planned: PlannedCall;
  /** Settles (never rejects) when the call ends. */
  ended: Promise<CallEnd>;
  /** Stops the call; the first reason given is the one kept. */
  stop(reason: StopReason): void;
  stopReason(): StopReason | undefined;
  /** Lets the watchdog see the provider's activity from now on. */
  watch(watchdog: Watchdog): void;
}

const settleCall = (call: Promise<void>): Promise<CallEnd> =>
  call.then(
    () => ({}),
    (error: unknown) => ({ error }),
  );

/**
 * Where the reply goes: kept in the run's progress and sent to the client while it fits
 * the reply's bound and the run is not stopped; the idle clock follows the provider, and
 * stands still while the client is the one behind.
 */
const createSink = (active: ActiveRun, reasoning: boolean, isStopped: () => boolean, watchdog: () => Watchdog | undefined): UpstreamSink => {
  const { settings } = active.deps.runtime;
  const { progress, stream } = active;
  const limit = createReplyLimit({ maxChars: settings.MAX_REPLY_CHARS, maxBytes: settings.MAX_REPLY_BYTES });
  /** Keeps and sends what fits in the reply; past its bound, the call stops with what fit. */
  const bounded = (text: string, into: string[], send: (text: string) => void) => {
    const kept = limit.take(text);
    if (kept) {
      progress.firstTokenAt ??= Date.now();
      into.push(kept);
      send(kept);
    }
    if (limit.exceeded) throw new ReplyTooLongError(`reply exceeded ${settings.MAX_REPLY_CHARS} characters or ${settings.MAX_REPLY_BYTES} bytes`);
  };
  return {
    seen: () => watchdog()?.touch(),
    content(text) {
      if (!isStopped()) bounded(text, progress.content, (kept) => stream.content(kept));
    },
    reasoning(text) {
      if (reasoning && !isStopped()) bounded(text, progress.reasoning, (kept) => stream.reasoning(kept));
    },
    usage(usage) {
      progress.usage = usage;
    },
    demand() {
      const behind = stream.demand();
      if (!behind) return undefined;
      // Waiting for the client is not the provider's silence: the idle clock stands still meanwhile.
      watchdog()?.hold();
      return behind.then(() => watchdog()?.touch());
    },
  };
};

/** Writes the run's status item; once it exists, `run_info` goes out and the run can be cancelled. */
const createStatus = async (active: ActiveRun): Promise<void> => {
  const { deps, plan } = active;
  await createRunStatus(
    deps.runtime,
    { runId: plan.runId, sessionId: plan.sessionId, userId: plan.identity.userId },
    deps.runtime.settings.RUN_STATUS_TTL_SECONDS,
  );
  active.statusCreated = true;
  active.stream.runInfo(active.runId);
};

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Phase 2, start the call: the model request is planned and sent beside the status write
 * rather than after it (the provider's first token is the slow part), but its reply is
 * read only once the status item exists and `run_info` is out (callModel's `ready`): the
 * run streams nothing it could not be cancelled from. If the status item cannot be
 * written, the call is aborted unread and the phase fails.
 */
export const startCall = (active: ActiveRun, inputs: RunInputs): Promise<StartedCall> =>
  asPhase('start the call', RUN_MSG.startFailed, async () => {
    const { deps, plan, stream } = active;
    const planned = planModelCall(deps, {
      connection: plan.connection,
      model: plan.model,
      config: plan.config,
      request: plan.request,
      history: inputs.history,
      images: inputs.images,
    });
    const controller = new AbortController();
    let reason: StopReason | undefined;
    let watchdog: Watchdog | undefined;
    const stop = (why: StopReason) => {
      if (reason) return;
      reason = why;
      controller.abort(why);
    };
    stream.onGone(() => stop('disconnected'));
    const sink = createSink(
      active,
      planned.request.reasoning,
      () => reason !== undefined,
      () => watchdog,
    );

    // The status write starts once the model request has gone out (in this turn of the
    // event loop): its own signing and sending would otherwise go first, and the
    // provider's first token comes long after the write is back anyway.
    const created = nextTurn().then(() => createStatus(active));
    const ready = created.then(
      () => true,
      () => false,
    );
    const ended = settleCall(callModel({ ...planned, ready }, sink, controller.signal));
    try {
      await created;
    } catch (err) {
      controller.abort('not-started');
      await ended;
      throw err;
    }
    return {
      planned,
      ended,
      stop,
      stopReason: () => reason,
      watch: (dog) => {
        watchdog = dog;
      },
    };
  });
