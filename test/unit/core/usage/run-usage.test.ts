import { describe, expect, it } from 'vitest';
import { estimatePrompt, estimateTokens, runUsage } from '../../../../lambdas/core/usage/run-usage.ts';

const provider = { inputTokens: 30, outputTokens: 12, totalTokens: 42, reasoningTokens: 4, cacheReadTokens: 8 };

describe('what a run is counted as', () => {
  it('the provider’s usage, exactly, whenever it gave one', () => {
    expect(runUsage({ outcome: 'completed', usage: provider, content: 'hello', reasoning: 'hm' })).toEqual({ ...provider, source: 'provider' });
    expect(runUsage({ outcome: 'cancelled', usage: provider, content: '', reasoning: '' })).toEqual({ ...provider, source: 'provider' });
  });

  it('a stopped reply without usage: the prompt and the streamed text, estimated, never 0 output', () => {
    const usage = runUsage({ outcome: 'cancelled', content: 'a', reasoning: '', promptTokens: 50 });
    expect(usage).toMatchObject({ inputTokens: 50, outputTokens: 1, totalTokens: 51, source: 'estimated', estimate: 'streamed-text' });
  });

  it('a stop before any text still counts the prompt the provider read', () => {
    expect(runUsage({ outcome: 'cancelled', content: '', reasoning: '', promptTokens: 50 })).toMatchObject({ inputTokens: 50, outputTokens: 0 });
  });

  it('a failure before any text counts nothing: the provider refused or never answered', () => {
    expect(runUsage({ outcome: 'failed', content: '', reasoning: '', promptTokens: 50 })).toMatchObject({
      inputTokens: 0,
      outputTokens: 0,
      source: 'estimated',
      estimate: 'no-reply',
    });
  });

  it('a provider that counted no output for streamed text keeps its input, the output estimated', () => {
    const usage = runUsage({ outcome: 'completed', usage: { ...provider, outputTokens: 0, totalTokens: 30 }, content: 'some text here', reasoning: '' });
    expect(usage).toMatchObject({ inputTokens: 30, cacheReadTokens: 8, outputTokens: 4, source: 'estimated', estimate: 'zero-output' });
  });

  it('estimates a token per four ASCII characters and one per other character', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('abcd')).toBe(1);
    expect(estimateTokens('abcde')).toBe(2);
    expect(estimateTokens('你好')).toBe(2);
    expect(estimateTokens('😀')).toBe(1);
    expect(estimatePrompt([{ text: 'abcd' }, { text: '你' }])).toBe(4 + 1 + 4 + 1);
  });
});
