import { describe, expect, it } from 'vitest';
import { gateSink } from '../../lambdas/core/llm/gated-sink.ts';
import type { TokenUsage, UpstreamSink } from '../../lambdas/core/llm/types.ts';

const recording = () => {
  const calls: string[] = [];
  const sink: UpstreamSink = {
    seen: () => calls.push('seen'),
    content: (text) => calls.push(`content:${text}`),
    reasoning: (text) => calls.push(`reasoning:${text}`),
    usage: (usage) => calls.push(`usage:${usage.totalTokens}`),
  };
  return { calls, sink };
};

const gate = () => {
  let settle!: (pass: boolean) => void;
  const promise = new Promise<boolean>((resolve) => (settle = resolve));
  return { promise, settle };
};

const USAGE: TokenUsage = { inputTokens: 1, outputTokens: 2, totalTokens: 3, reasoningTokens: 0, cacheReadTokens: 0 };

describe('gateSink', () => {
  it('holds every call until the gate opens, then hands them on in order and passes later ones through', async () => {
    const { calls, sink } = recording();
    const g = gate();
    const gated = gateSink(sink, g.promise);
    gated.seen();
    gated.reasoning('think');
    gated.content('a');
    gated.usage(USAGE);
    await Promise.resolve();
    expect(calls).toEqual([]);
    g.settle(true);
    await g.promise;
    expect(calls).toEqual(['seen', 'reasoning:think', 'content:a', 'usage:3']);
    gated.content('b');
    expect(calls.at(-1), 'straight through once open').toBe('content:b');
  });

  it('drops what it held, and everything after, when the gate settles false or fails', async () => {
    for (const outcome of [Promise.resolve(false), Promise.reject(new Error('status write failed'))]) {
      const { calls, sink } = recording();
      const gated = gateSink(sink, outcome);
      gated.content('held');
      await outcome.catch(() => {});
      await Promise.resolve();
      gated.content('later');
      expect(calls).toEqual([]);
    }
  });
});
