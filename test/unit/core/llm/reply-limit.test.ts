import { describe, expect, it } from 'vitest';
import { createReplyLimit } from '../../../../lambdas/core/llm/reply-limit.ts';

describe('createReplyLimit', () => {
  it('takes texts whole while they fit, then the part that fits, then nothing', () => {
    const limit = createReplyLimit({ maxChars: 10, maxBytes: 100 });
    expect(limit.take('abcd')).toBe('abcd');
    expect(limit.take('efghij')).toBe('efghij');
    expect(limit.exceeded).toBe(false);
    expect(limit.take('k')).toBe('');
    expect(limit.exceeded).toBe(true);
    expect(limit.take('l')).toBe('');
  });

  it('counts UTF-8 bytes: a multi-byte text is cut on a character boundary', () => {
    const limit = createReplyLimit({ maxChars: 100, maxBytes: 10 });
    expect(limit.take('ab')).toBe('ab');
    // 你 and 好 are 3 bytes each: 8 bytes left hold two of them, not a third.
    expect(limit.take('你好世界')).toBe('你好');
    expect(limit.exceeded).toBe(true);
  });

  it('never keeps half a surrogate pair', () => {
    const byChars = createReplyLimit({ maxChars: 3, maxBytes: 100 });
    expect(byChars.take('ab😀')).toBe('ab');
    const byBytes = createReplyLimit({ maxChars: 100, maxBytes: 4 });
    expect(byBytes.take('a😀b')).toBe('a');
  });
});
