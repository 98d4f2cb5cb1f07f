import { createReplyLimit, ReplyTooLongError } from '../../llm/reply-limit.ts';
import type { UpstreamSink } from '../../llm/types.ts';
import type { ActiveRun } from '../active-run.ts';

/**
 * Where the reply goes: kept in the run's progress and sent to the client while it fits
 * the reply's bound and the run is not stopped; the idle clock follows the provider, and
 * stands still while the client is the one behind.
 */
export const createReplySink = (active: Pick<ActiveRun, 'deps' | 'progress' | 'stream' | 'stop'>, reasoning: boolean): UpstreamSink => {
  const { settings } = active.deps.runtime;
  const { progress, stream, stop } = active;
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
    seen: () => stop.seen(),
    content(text) {
      if (!stop.reason()) bounded(text, progress.content, (kept) => stream.content(kept));
    },
    reasoning(text) {
      if (reasoning && !stop.reason()) bounded(text, progress.reasoning, (kept) => stream.reasoning(kept));
    },
    usage({ tokens, source }) {
      progress.usage = tokens;
      progress.usageSource = source;
    },
    demand() {
      const behind = stream.demand();
      if (!behind) return undefined;
      // Waiting for the client is not the provider's silence: the idle clock stands still meanwhile.
      stop.hold();
      return behind.then(() => stop.seen());
    },
  };
};
