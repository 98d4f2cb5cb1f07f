import type { PromptMessage, TokenUsage } from '../llm/types.ts';
import type { UsageSource } from '../llm/usage.ts';
import type { RunOutcome } from '../sessions/types.ts';
import type { USAGE_ESTIMATES, USAGE_SOURCES } from '../wire/responses.ts';

/** Whose numbers: the provider's, or estimated here. */
export type UsageOrigin = (typeof USAGE_SOURCES)[number];
export type UsageEstimate = (typeof USAGE_ESTIMATES)[number];

/** A run's tokens as counted, and where they came from. */
export interface RunUsage extends TokenUsage {
  source: UsageOrigin;
  /** How, when `source` is `estimated`. */
  estimate?: UsageEstimate;
  /** Where in the provider's stream its numbers were read and how they were decided (llm/usage.ts), when they are its. */
  provenance?: UsageSource;
}

/** Tokens a chat message costs beyond its text (role and separators), as OpenAI's counting guide has it. */
const MESSAGE_OVERHEAD = 4;

/**
 * A rough token count of text: four characters of ASCII a token, and every other
 * character one (CJK text runs at about one to one and a half characters a token). Only
 * for runs the provider gave no usage for, and marked estimated wherever it shows.
 */
export const estimateTokens = (text: string): number => {
  let ascii = 0;
  let other = 0;
  for (const char of text) {
    if (char.charCodeAt(0) < 0x80) ascii += 1;
    else other += 1;
  }
  return Math.ceil(ascii / 4) + other;
};

/** The prompt's tokens, estimated (images not counted). */
export const estimatePrompt = (messages: readonly Pick<PromptMessage, 'text'>[]): number =>
  messages.reduce((sum, m) => sum + MESSAGE_OVERHEAD + estimateTokens(m.text), 0);

export interface RunOutput {
  outcome: RunOutcome;
  /** What the provider reported, if anything, and where it was read. */
  usage?: TokenUsage;
  provenance?: UsageSource;
  content: string;
  reasoning: string;
  /** The prompt as estimated when the call was made; absent when the call never was. */
  promptTokens?: number;
}

const counted = (input: number, output: number, reasoning: number, cached: number): TokenUsage => ({
  inputTokens: input,
  outputTokens: output,
  totalTokens: input + output,
  reasoningTokens: reasoning,
  cacheReadTokens: cached,
});

/**
 * What a run is counted as. The provider's usage when it gave one (a completed run's
 * numbers are exactly the provider's). Otherwise estimated: a failed run that streamed
 * nothing counts nothing (the provider refused it or never answered); any other run counts
 * its prompt, and its streamed text as output, never 0 for a reply that streamed text.
 */
export const runUsage = (run: RunOutput): RunUsage => {
  const streamed = run.content.length + run.reasoning.length > 0;
  const replyTokens = () => Math.max(1, estimateTokens(run.content) + estimateTokens(run.reasoning));
  const provenance = run.provenance ? { provenance: run.provenance } : {};
  if (run.usage && !(streamed && run.usage.outputTokens === 0)) return { ...run.usage, source: 'provider', ...provenance };
  if (run.usage) {
    const { inputTokens, cacheReadTokens } = run.usage;
    return {
      ...counted(inputTokens, replyTokens(), estimateTokens(run.reasoning), cacheReadTokens),
      source: 'estimated',
      estimate: 'zero-output',
      ...provenance,
    };
  }
  if (!streamed && run.outcome === 'failed') return { ...counted(0, 0, 0, 0), source: 'estimated', estimate: 'no-reply' };
  const output = streamed ? replyTokens() : 0;
  return { ...counted(run.promptTokens ?? 0, output, estimateTokens(run.reasoning), 0), source: 'estimated', estimate: 'streamed-text' };
};
