import { describe, expect, it } from 'vitest';
import { deltaText } from '../../../../lambdas/core/llm/chat-delta.ts';

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
