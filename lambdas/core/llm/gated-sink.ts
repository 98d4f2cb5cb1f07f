import type { UpstreamSink } from './types.ts';

/**
 * A sink that holds what it is given until `gate` settles: true hands the held calls on
 * in order and passes later ones straight through; false (or a rejection) drops them
 * and everything after. The reply is parsed as it arrives, so a fast provider's burst is
 * not left to be parsed in one go once the gate opens.
 */
export const gateSink = (sink: UpstreamSink, gate: Promise<boolean>): UpstreamSink => {
  let held: (() => void)[] | undefined = [];
  let open = false;
  const settle = (pass: boolean) => {
    const calls = held ?? [];
    held = undefined;
    open = pass;
    if (pass) for (const call of calls) call();
  };
  gate.then(settle, () => settle(false));
  return {
    seen: () => (open ? sink.seen() : held?.push(() => sink.seen())),
    content: (text) => (open ? sink.content(text) : held?.push(() => sink.content(text))),
    reasoning: (text) => (open ? sink.reasoning(text) : held?.push(() => sink.reasoning(text))),
    usage: (usage) => (open ? sink.usage(usage) : held?.push(() => sink.usage(usage))),
  };
};
