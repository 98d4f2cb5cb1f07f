import { describe, expect, it } from 'vitest';
import { chunkUsage, deltaText } from '../../../../lambdas/core/llm/chat-delta.ts';

describe('delta text: every shape comes out as strings', () => {
  it.each([
    ['plain text', { content: 'Hello' }, { content: 'Hello', reasoning: '' }],
    ['null content', { content: null, reasoning_content: '' }, { content: '', reasoning: '' }],
    ['Mistral text parts', { content: [{ type: 'text', text: '2 + 2 = 4' }] }, { content: '2 + 2 = 4', reasoning: '' }],
    [
      'Mistral thinking parts',
      { content: [{ type: 'thinking', thinking: [{ type: 'text', text: 'The user is asking' }] }] },
      { content: '', reasoning: 'The user is asking' },
    ],
    [
      'thinking and text in one list',
      {
        content: [
          { type: 'thinking', thinking: 'hmm ' },
          { type: 'text', text: 'yes' },
          { type: 'reference', reference_ids: [1] },
        ],
      },
      { content: 'yes', reasoning: 'hmm ' },
    ],
    ['a refusal part', { content: [{ type: 'refusal', refusal: 'I cannot help with that.' }] }, { content: 'I cannot help with that.', reasoning: '' }],
    ['a refusal field', { content: null, refusal: 'I cannot help with that.' }, { content: 'I cannot help with that.', reasoning: '' }],
    ['reasoning_content', { reasoning_content: 'First' }, { content: '', reasoning: 'First' }],
    ['reasoning', { reasoning: 'Okay' }, { content: '', reasoning: 'Okay' }],
    [
      'reasoning beside reasoning_details (OpenRouter): read once',
      { content: '', reasoning: 'Think', reasoning_details: [{ type: 'reasoning.text', text: 'Think' }] },
      { content: '', reasoning: 'Think' },
    ],
    [
      'reasoning_details alone',
      {
        reasoning_details: [
          { type: 'reasoning.summary', summary: 'Sum' },
          { type: 'reasoning.encrypted', data: 'abc' },
          { type: 'reasoning.text', text: 'mary' },
        ],
      },
      { content: '', reasoning: 'Summary' },
    ],
    [
      'Gemini thought text (include_thoughts): flagged, opened by <thought>',
      { content: '<thought>**Planning the reply**', extra_content: { google: { thought: true } }, role: 'assistant' },
      { content: '', reasoning: '**Planning the reply**' },
    ],
    [
      'Gemini thought text, a later chunk',
      { content: '**Choosing the words**', extra_content: { google: { thought: true } } },
      { content: '', reasoning: '**Choosing the words**' },
    ],
    ['Gemini answer after thought: </thought> closes it', { content: '</thought>早上好。', role: 'assistant' }, { content: '早上好。', reasoning: '' }],
    [
      'Gemini thought and answer in one flagged chunk',
      { content: '<thought>think</thought>answer', extra_content: { google: { thought: true } } },
      { content: 'answer', reasoning: 'think' },
    ],
    ['a thought flag that is not true', { content: 'text', extra_content: { google: { thought: 'yes' } } }, { content: 'text', reasoning: '' }],
    ['numbers and objects where text belongs', { content: 42, reasoning: { text: 'x' } }, { content: '', reasoning: '' }],
    ['no delta', undefined, { content: '', reasoning: '' }],
  ])('%s', (_, delta, expected) => {
    const got = deltaText(delta);
    expect(got).toEqual(expected);
    expect(typeof got.content).toBe('string');
    expect(typeof got.reasoning).toBe('string');
  });
});

describe('chunk usage: what each provider means, in one shape', () => {
  it('OpenAI: reasoning inside completion, cached inside prompt', () => {
    expect(
      chunkUsage({
        usage: {
          prompt_tokens: 100,
          completion_tokens: 50,
          total_tokens: 150,
          prompt_tokens_details: { cached_tokens: 64 },
          completion_tokens_details: { reasoning_tokens: 30 },
        },
      }),
    ).toEqual({ inputTokens: 100, outputTokens: 50, totalTokens: 150, reasoningTokens: 30, cacheReadTokens: 64 });
  });

  it('xAI: reasoning beside completion, counted in the total', () => {
    expect(
      chunkUsage({
        usage: {
          prompt_tokens: 12,
          completion_tokens: 1,
          total_tokens: 303,
          prompt_tokens_details: { cached_tokens: 11 },
          completion_tokens_details: { reasoning_tokens: 290 },
        },
      }),
    ).toEqual({ inputTokens: 12, outputTokens: 291, totalTokens: 303, reasoningTokens: 290, cacheReadTokens: 11 });
  });

  it('Gemini: thinking counted in the total only, with no breakdown', () => {
    // gemini-2.5-flash through the OpenAI-compatible endpoint: 11 + 24 = 35, total 561.
    expect(chunkUsage({ usage: { completion_tokens: 24, prompt_tokens: 11, total_tokens: 561 } })).toEqual({
      inputTokens: 11,
      outputTokens: 550,
      totalTokens: 561,
      reasoningTokens: 526,
      cacheReadTokens: 0,
    });
    // Without thinking the total is prompt + completion and nothing is added.
    expect(chunkUsage({ usage: { completion_tokens: 35, prompt_tokens: 11, total_tokens: 46 } })).toMatchObject({ outputTokens: 35, reasoningTokens: 0 });
  });

  it('reasoning_tokens that are not the surplus of the total are taken as inside the completion', () => {
    expect(chunkUsage({ usage: { prompt_tokens: 10, completion_tokens: 20, total_tokens: 40, completion_tokens_details: { reasoning_tokens: 5 } } })).toEqual({
      inputTokens: 10,
      outputTokens: 20,
      totalTokens: 40,
      reasoningTokens: 5,
      cacheReadTokens: 0,
    });
  });

  it('Groq: x_groq.usage when usage is absent', () => {
    expect(chunkUsage({ x_groq: { id: 'req_1', usage: { prompt_tokens: 40, completion_tokens: 8, total_tokens: 48 } } })).toEqual({
      inputTokens: 40,
      outputTokens: 8,
      totalTokens: 48,
      reasoningTokens: 0,
      cacheReadTokens: 0,
    });
    expect(chunkUsage({ x_groq: { id: 'req_1' } })).toBeUndefined();
  });

  it('DeepSeek: prompt_cache_hit_tokens', () => {
    expect(
      chunkUsage({ usage: { prompt_tokens: 6, completion_tokens: 92, total_tokens: 98, prompt_cache_hit_tokens: 4, prompt_cache_miss_tokens: 2 } }),
    ).toMatchObject({
      cacheReadTokens: 4,
    });
  });

  it('llama.cpp: timings alone, and cache_n beside usage', () => {
    expect(chunkUsage({ timings: { prompt_n: 5, cache_n: 10, predicted_n: 7, predicted_ms: 1 } })).toEqual({
      inputTokens: 15,
      outputTokens: 7,
      totalTokens: 22,
      reasoningTokens: 0,
      cacheReadTokens: 10,
    });
    expect(
      chunkUsage({ usage: { prompt_tokens: 15, completion_tokens: 7, total_tokens: 22 }, timings: { prompt_n: 5, cache_n: 10, predicted_n: 7 } }),
    ).toMatchObject({
      inputTokens: 15,
      cacheReadTokens: 10,
    });
  });

  it('a total missing is input + output; nonsense numbers count as absent', () => {
    expect(chunkUsage({ usage: { prompt_tokens: 3, completion_tokens: 4 } })?.totalTokens).toBe(7);
    expect(chunkUsage({ usage: { prompt_tokens: '3', completion_tokens: -1, total_tokens: Number.NaN } })).toEqual({
      inputTokens: 0,
      outputTokens: 0,
      totalTokens: 0,
      reasoningTokens: 0,
      cacheReadTokens: 0,
    });
    expect(chunkUsage({ usage: null })).toBeUndefined();
  });
});
