import type { Identity } from '../auth/identity.ts';
import { callModel } from '../llm/call-model.ts';
import type { UpstreamSink } from '../llm/types.ts';
import type { ChatDeps } from './deps.ts';
import { connectModel, planModelCall, sameCall, type PlannedCall } from './model-call.ts';
import { usableModel } from './prepare-run.ts';
import { historyWanted } from './prompt.ts';
import type { ChatRequest } from './request-schema.ts';

/** How a model call ended: `error` is what it threw, absent when it finished. */
export type CallEnd = { error?: unknown };

/** Runs a call to its end, its failure turned into a value. */
export const settleCall = (call: Promise<void>): Promise<CallEnd> =>
  call.then(
    () => ({}),
    (error: unknown) => ({ error }),
  );

/**
 * A model call sent before the pre-stream checks answered. Its reply is held until the
 * run takes it over; one the run does not take over is aborted and its reply dropped.
 */
export interface EarlyCall {
  /**
   * The call (its `end`), when it is exactly the call the run would make (`planned`): from then
   * on its reply goes to `sink` once `deliverWhen` is true, and `signal` stops it.
   * Undefined, and the early call aborted, when it differs (the model or the config
   * changed since the user's last run) or could not be set up.
   */
  adopt(planned: PlannedCall, sink: UpstreamSink, deliverWhen: Promise<boolean>, signal: AbortSignal): Promise<{ end: Promise<CallEnd> } | undefined>;
  /** Stops the call and drops its reply unless the run took it over (the checks refused, or the run ended first). */
  discard(): void;
}

/** The reply goes through this, to the run's own sink once the run takes the call over. */
const forwardingSink = () => {
  let target: UpstreamSink | undefined;
  const sink: UpstreamSink = {
    seen: () => target?.seen(),
    content: (text) => target?.content(text),
    reasoning: (text) => target?.reasoning(text),
    usage: (usage) => target?.usage(usage),
  };
  return { sink, connect: (to: UpstreamSink) => (target = to) };
};

/**
 * Starts the model call before the checks when this instance accepted the same user
 * with the same model a moment ago (recent-runs.ts): the checks' DynamoDB round then
 * overlaps the provider's time to first token instead of preceding it. Only for a
 * request whose prompt is known without reading the store: no images, and for a
 * session whose history the prompt carries, the history this instance stored with the
 * session's last run. The checks still decide: a refusal discards the call, and a run
 * whose fresh model, config or history make a different request starts its own.
 */
export const startEarlyCall = (deps: ChatDeps, identity: Identity, request: ChatRequest): EarlyCall | undefined => {
  const recent = deps.recent.lookup(identity.userId, request.modelId);
  if (!recent || request.images?.length) return undefined;
  const history =
    request.sessionId && historyWanted(recent.config) ? deps.recent.sessionHistory(identity.userId, request.sessionId) : [];
  if (!history) return undefined;
  try {
    usableModel(identity, recent.model);
  } catch {
    return undefined;
  }

  const controller = new AbortController();
  let open!: (read: boolean) => void;
  const gate = new Promise<boolean>((resolve) => (open = resolve));
  const forward = forwardingSink();
  const planned = connectModel(deps, recent.model).then((connection) =>
    planModelCall(deps, { connection, model: recent.model, config: recent.config, request, history, images: [] }),
  );
  const end = settleCall(planned.then((call) => callModel({ ...call, deliverWhen: gate }, forward.sink, controller.signal)));
  let adopted = false;
  const discard = () => {
    if (adopted) return;
    open(false);
    controller.abort('early call not used');
  };

  return {
    async adopt(wanted, sink, deliverWhen, signal) {
      const call = await planned.catch(() => undefined);
      if (!call || !sameCall(call, wanted)) {
        discard();
        return undefined;
      }
      adopted = true;
      forward.connect(sink);
      if (signal.aborted) controller.abort(signal.reason);
      else signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
      deliverWhen.then(open, () => open(false));
      return { end };
    },
    discard,
  };
};
