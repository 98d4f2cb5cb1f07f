import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BilledUsage, createUsageReader, responsesUsage, usageSourceSchema } from '../../../../lambdas/core/llm/usage.ts';

/**
 * Usage shapes of providers with no recorded stream kept, written as their documentation
 * (or a public capture that could not be kept) shows them; the recorded ones are replayed
 * by test/integration/chat-stream/provider-replay.test.ts. docs/providers.md names the test
 * pinning each provider.
 */

const billed = (...chunks: unknown[]): BilledUsage | undefined => {
  const reader = createUsageReader();
  for (const chunk of chunks) reader.chunk(chunk);
  const result = reader.result();
  // What a usage record will store is the schema's shape, nothing more.
  if (result) expect(usageSourceSchema.parse(result.source)).toEqual(result.source);
  return result;
};

const tokens = (inputTokens: number, outputTokens: number, reasoningTokens = 0, cacheReadTokens = 0) => ({
  inputTokens,
  outputTokens,
  totalTokens: inputTokens + outputTokens,
  reasoningTokens,
  cacheReadTokens,
});

describe('Gemini 3 with thinking through the Vercel AI Gateway (issue #28, no recording)', () => {
  // The numbers: completion 14, reasoning 43, total 54. The total cannot hold the
  // reasoning (54 − 14 − 43 < 0), so it is prompt + completion: the prompt is 40.
  const gatewayUsage = { prompt_tokens: 40, completion_tokens: 14, total_tokens: 54, completion_tokens_details: { reasoning_tokens: 43 } };
  // Google's own view of the same call, passed through as the gateway passes its upstream's metadata.
  const usageMetadata = { promptTokenCount: 40, candidatesTokenCount: 14, thoughtsTokenCount: 43, totalTokenCount: 97 };
  const finish = (usage: Record<string, unknown>) => ({
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta: { provider_metadata: { google: { usageMetadata } } }, finish_reason: 'stop' }],
    usage,
  });

  it('bills reasoning beside the completion: 57 out, 43 of them reasoning', () => {
    expect(billed(finish(gatewayUsage))).toEqual({
      tokens: tokens(40, 57, 43),
      source: {
        field: 'usage',
        reasoning: 'beside',
        rule: 'reasoning-exceeds-completion',
        reported: { prompt: 40, completion: 14, total: 54, reasoning: 43 },
      },
    });
  });

  it('reads the same from the gateway usage alone: a part cannot exceed the whole', () => {
    expect(billed({ choices: [], usage: gatewayUsage })?.tokens).toEqual(tokens(40, 57, 43));
  });

  it('takes Google usageMetadata where the gateway left thinking out altogether', () => {
    const silent = { prompt_tokens: 40, completion_tokens: 14, total_tokens: 54 };
    expect(billed(finish(silent))).toEqual({
      tokens: tokens(40, 57, 43),
      source: { field: 'usageMetadata', reasoning: 'beside', rule: 'usage-metadata', reported: { prompt: 40, completion: 14, total: 54 } },
    });
  });
});

describe('Google usageMetadata, as the native API sends it (test/fixtures/providers/google-native)', () => {
  it('thoughts beside the candidates, tool-use prompt beside the prompt: 325 in, 370 out', () => {
    const events = readFileSync(new URL('../../../fixtures/providers/google-native/gemini-2.5-flash-usageMetadata.chunks.jsonl', import.meta.url), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as unknown);
    const got = billed(...events);
    expect(got?.tokens).toEqual(tokens(17 + 308, 37 + 333, 333));
    // Google's own total of the last snapshot.
    expect(got?.tokens.totalTokens).toBe(695);
    expect(got?.source).toEqual({ field: 'usageMetadata', reasoning: 'beside', rule: 'usage-metadata' });
  });
});

describe('where reasoning is: decided from every count together', () => {
  it.each([
    // provider, usage, billed tokens, reasoning placement, rule
    [
      'OpenAI: inside completion_tokens, cached inside the prompt',
      {
        prompt_tokens: 100,
        completion_tokens: 50,
        total_tokens: 150,
        prompt_tokens_details: { cached_tokens: 64 },
        completion_tokens_details: { reasoning_tokens: 30 },
      },
      tokens(100, 50, 30, 64),
      'inside',
      'total-matches',
    ],
    [
      'xAI: beside, and the total shows it',
      {
        prompt_tokens: 12,
        completion_tokens: 1,
        total_tokens: 303,
        prompt_tokens_details: { cached_tokens: 11 },
        completion_tokens_details: { reasoning_tokens: 290 },
      },
      tokens(12, 291, 290, 11),
      'beside',
      'reasoning-exceeds-completion',
    ],
    [
      'xAI without a total: reasoning larger than the completion is beside',
      { prompt_tokens: 12, completion_tokens: 1, completion_tokens_details: { reasoning_tokens: 290 } },
      tokens(12, 291, 290),
      'beside',
      'reasoning-exceeds-completion',
    ],
    [
      'Gemini (OpenAI-compatible): thinking counted only in the total',
      { completion_tokens: 24, prompt_tokens: 11, total_tokens: 561 },
      tokens(11, 550, 526),
      'beside',
      'total-shows-reasoning',
    ],
    [
      'Gemini without thinking: the total is prompt + completion',
      { completion_tokens: 35, prompt_tokens: 11, total_tokens: 46 },
      tokens(11, 35),
      'none',
      'total-matches',
    ],
    [
      'a surplus in the total the reported reasoning does not explain: billed as output',
      { prompt_tokens: 10, completion_tokens: 20, total_tokens: 40, completion_tokens_details: { reasoning_tokens: 5 } },
      tokens(10, 30, 15),
      'beside',
      'total-surplus',
    ],
    ['a total below prompt + completion is ignored', { prompt_tokens: 10, completion_tokens: 20, total_tokens: 25 }, tokens(10, 20), 'none', 'total-below'],
    [
      'no total: reasoning not larger than the completion is inside',
      { prompt_tokens: 32, completion_tokens: 89, completion_tokens_details: { reasoning_tokens: 45 } },
      tokens(32, 89, 45),
      'inside',
      'no-total',
    ],
    [
      'Mistral magistral: thinking inside completion_tokens, no breakdown',
      { prompt_tokens: 10, completion_tokens: 46, total_tokens: 56 },
      tokens(10, 46),
      'none',
      'total-matches',
    ],
    [
      'SiliconFlow DeepSeek-R1 (last running snapshot): inside, reasoning on every chunk',
      { prompt_tokens: 294, completion_tokens: 51, total_tokens: 345, completion_tokens_details: { reasoning_tokens: 38 } },
      tokens(294, 51, 38),
      'inside',
      'total-matches',
    ],
    [
      'Perplexity reasoning models: flat reasoning_tokens, inside completion_tokens (as @ai-sdk/perplexity reads them)',
      { prompt_tokens: 8, completion_tokens: 120, total_tokens: 128, reasoning_tokens: 100 },
      tokens(8, 120, 100),
      'inside',
      'total-matches',
    ],
  ])('%s', (_, usage, expected, reasoning, rule) => {
    const got = billed({ choices: [], usage });
    expect(got?.tokens).toEqual(expected);
    expect(got?.source).toMatchObject({ field: 'usage', reasoning, rule });
    expect(got?.source.reported).toMatchObject({ prompt: usage.prompt_tokens, completion: usage.completion_tokens });
  });
});

describe('where usage is: every field a provider uses, each snapshot once', () => {
  it('Moonshot: inside the last chunk’s first choice', () => {
    const got = billed(
      { choices: [{ index: 0, delta: { content: ' to' }, finish_reason: null }] },
      { choices: [{ index: 0, delta: {}, finish_reason: 'stop', usage: { prompt_tokens: 492, completion_tokens: 49, total_tokens: 541 } }] },
    );
    expect(got?.tokens).toEqual(tokens(492, 49));
    expect(got?.source.field).toBe('choices[].usage');
  });

  it('Kimi: the choice-level copy and the top-level copy of one snapshot count once', () => {
    const usage = { prompt_tokens: 90, completion_tokens: 50, total_tokens: 140, cached_tokens: 90, completion_tokens_details: { reasoning_tokens: 33 } };
    expect(billed({ choices: [{ index: 0, delta: {}, finish_reason: 'stop', usage }] }, { choices: [], usage })?.tokens).toEqual(tokens(90, 50, 33, 90));
  });

  it('Moonshot’s older usage-level cached_tokens', () => {
    expect(billed({ choices: [], usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110, cached_tokens: 80 } })?.tokens).toEqual(
      tokens(100, 10, 0, 80),
    );
  });

  it('Groq: usage and x_groq.usage on one chunk count once; x_groq.usage alone is read', () => {
    const usage = { prompt_tokens: 40, completion_tokens: 8, total_tokens: 48 };
    expect(billed({ choices: [], usage, x_groq: { id: 'req_1', usage } })).toMatchObject({ tokens: tokens(40, 8), source: { field: 'usage' } });
    expect(billed({ choices: [], x_groq: { id: 'req_1', usage } })).toMatchObject({ tokens: tokens(40, 8), source: { field: 'x_groq.usage' } });
    expect(billed({ x_groq: { id: 'req_1' } })).toBeUndefined();
  });

  it('DeepSeek: prompt_cache_hit_tokens', () => {
    const usage = { prompt_tokens: 6, completion_tokens: 92, total_tokens: 98, prompt_cache_hit_tokens: 4, prompt_cache_miss_tokens: 2 };
    expect(billed({ choices: [], usage })?.tokens.cacheReadTokens).toBe(4);
  });

  it('Fireworks, unasked: usage on the finish chunk', () => {
    const finish = {
      choices: [{ delta: { content: null }, finish_reason: 'stop', index: 0 }],
      usage: { completion_tokens: 26, prompt_tokens: 14, total_tokens: 40 },
    };
    expect(billed({ choices: [{ delta: { content: 'Hello!' }, index: 0 }], usage: null }, finish)?.tokens).toEqual(tokens(14, 26));
  });

  it('running totals (Perplexity, xAI, Google, SiliconFlow, vLLM): the last, never their sum', () => {
    const running = [1, 2, 3].map((n) => ({
      choices: [{ index: 0, delta: { content: 'x' } }],
      usage: { prompt_tokens: 5, completion_tokens: n, total_tokens: 5 + n },
    }));
    expect(billed(...running)?.tokens).toEqual(tokens(5, 3));
  });

  it('a later chunk with null or empty usage does not erase the snapshot', () => {
    const usage = { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 };
    expect(billed({ choices: [], usage }, { choices: [], usage: null }, { choices: [], usage: {} })?.tokens).toEqual(tokens(5, 3));
  });

  it('llama.cpp: timings alone, and cache_n beside usage', () => {
    expect(billed({ choices: [], timings: { prompt_n: 5, cache_n: 10, predicted_n: 7, predicted_ms: 1 } })).toEqual({
      tokens: tokens(15, 7, 0, 10),
      source: { field: 'timings', reasoning: 'none', rule: 'timings' },
    });
    const withUsage = { usage: { prompt_tokens: 15, completion_tokens: 7, total_tokens: 22 }, timings: { prompt_n: 5, cache_n: 10, predicted_n: 7 } };
    expect(billed(withUsage)?.tokens).toEqual(tokens(15, 7, 0, 10));
  });

  it('no usage anywhere (Ollama or OpenAI not asked): nothing to report', () => {
    expect(billed({ choices: [{ index: 0, delta: { content: 'Hi' } }] }, { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })).toBeUndefined();
    expect(billed(null, 'text', [], { choices: 'no' })).toBeUndefined();
  });

  it('nonsense numbers count as absent', () => {
    expect(
      billed({ usage: { prompt_tokens: '3', completion_tokens: -1, total_tokens: Number.NaN, prompt_tokens_details: { cached_tokens: 'x' } } }),
    ).toBeUndefined();
    expect(billed({ usage: { prompt_tokens: 3, completion_tokens: -1, total_tokens: Number.POSITIVE_INFINITY } })?.tokens).toEqual(tokens(3, 0));
  });

  it('the Responses API: usage of response.completed, reasoning inside output_tokens', () => {
    const usage = {
      input_tokens: 12044,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 1627,
      output_tokens_details: { reasoning_tokens: 516 },
      total_tokens: 13671,
    };
    expect(responsesUsage(usage)).toEqual({
      tokens: tokens(12044, 1627, 516),
      source: {
        field: 'response.usage',
        reasoning: 'inside',
        rule: 'total-matches',
        reported: { prompt: 12044, completion: 1627, total: 13671, reasoning: 516 },
      },
    });
    expect(responsesUsage(null)).toBeUndefined();
  });
});

describe('money and cache writes: kept beside the tokens, never read as tokens', () => {
  it.each([
    ['OpenRouter: usage.cost', { cost: 0.0123, cache_write_tokens: 1200 }, { usd: 0.0123, field: 'usage.cost' }, 1200],
    [
      'Perplexity: cost as an object',
      { cost: { input_tokens_cost: 0.00001, output_tokens_cost: 0, request_cost: 0.005, total_cost: 0.00501 } },
      { usd: 0.00501, field: 'usage.cost.total_cost' },
      undefined,
    ],
    ['xAI: cost in ticks of 10^-10 USD', { cost_in_usd_ticks: 1466250 }, { usd: 0.000146625, field: 'usage.cost_in_usd_ticks' }, undefined],
    ['the Vercel gateway: cache writes apart', { cost: 0.0000344, cache_creation_input_tokens: 5 }, { usd: 0.0000344, field: 'usage.cost' }, 5],
  ])('%s', (_, extra, cost, cacheWriteTokens) => {
    const got = billed({ choices: [], usage: { prompt_tokens: 6, completion_tokens: 1, total_tokens: 7, ...extra } });
    expect(got?.tokens).toEqual(tokens(6, 1));
    expect(got?.source.cost).toEqual(cost);
    expect(got?.source.cacheWriteTokens).toBe(cacheWriteTokens);
  });

  it('the gateway’s own stated cost, a string in its provider metadata, when usage has none', () => {
    const chunk = {
      choices: [{ index: 0, delta: { provider_metadata: { gateway: { cost: '0.0000344' } } }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 675, completion_tokens: 1, total_tokens: 676 },
    };
    expect(billed(chunk)?.source.cost).toEqual({ usd: 0.0000344, field: 'provider_metadata.gateway.cost' });
    const unreadable = { ...chunk, choices: [{ index: 0, delta: { provider_metadata: { gateway: { cost: 'n/a' } } } }] };
    expect(billed(unreadable)?.source.cost).toBeUndefined();
  });
});

describe('whatever a provider sends', () => {
  const count = fc.oneof(fc.nat({ max: 1_000_000 }), fc.constant(undefined), fc.constant(-1), fc.constant('7'), fc.constant(null));
  const usage = fc.record(
    {
      prompt_tokens: count,
      completion_tokens: count,
      total_tokens: count,
      reasoning_tokens: count,
      completion_tokens_details: fc.record({ reasoning_tokens: count }),
      prompt_tokens_details: fc.record({ cached_tokens: count }),
    },
    { requiredKeys: [] },
  );

  it('bills at least the completion, reasoning within the output, and input + output as the total', () => {
    fc.assert(
      fc.property(usage, (u) => {
        const got = billed({ choices: [], usage: u });
        if (!got) return;
        const { tokens: t, source } = got;
        expect(t.reasoningTokens).toBeLessThanOrEqual(t.outputTokens);
        expect(t.outputTokens).toBeGreaterThanOrEqual(source.reported?.completion ?? 0);
        expect(t.totalTokens).toBe(t.inputTokens + t.outputTokens);
        for (const n of Object.values(t)) expect(Number.isInteger(n) && n >= 0).toBe(true);
      }),
    );
  });
});
