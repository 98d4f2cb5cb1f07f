import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitLabel, labelEvery, niceScale } from '../../../web/src/ui/charts.ts';

describe('chart scales', () => {
  it('ends the axis at a round number at or above the largest value, in steps of 1, 2 or 5 × 10ⁿ', () => {
    expect(niceScale(37_000)).toEqual({ top: 40_000, step: 10_000 });
    expect(niceScale(101)).toEqual({ top: 150, step: 50 });
    expect(niceScale(3)).toEqual({ top: 3, step: 1 });
    expect(niceScale(0)).toEqual({ top: 1, step: 1 });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e15 }), (max) => {
        const { top, step } = niceScale(max);
        expect(top).toBeGreaterThanOrEqual(max);
        expect(top / step).toBeLessThanOrEqual(4);
        expect(Number.isInteger(top / step)).toBe(true);
        const leading = step / 10 ** Math.floor(Math.log10(step));
        expect([1, 2, 5]).toContain(Math.round(leading * 1e9) / 1e9);
      }),
    );
  });

  it('labels every nth column so labels keep their distance', () => {
    expect(labelEvery(31, 900, 48)).toBe(2);
    expect(labelEvery(7, 900, 48)).toBe(1);
    expect(labelEvery(366, 300, 48)).toBe(61);
  });

  it('shortens long labels with an ellipsis, counting CJK characters double', () => {
    expect(fitLabel('GPT-4o', 100)).toBe('GPT-4o');
    expect(fitLabel('Offline test model (not a real LLM)', 100)).toMatch(/^Offline test…$/);
    expect(fitLabel('研发部门研发部门研发部门', 60)).toBe('研发部…');
  });
});
