import { describe, expect, it } from 'vitest';
import { costMicros, priceAt, priceSchedule, pricesInputSchema, type StoredPrice, toPublicPrice } from '../../../../lambdas/core/usage/prices.ts';
import { useTimeZone } from '../../../../lambdas/core/time.ts';

useTimeZone('Asia/Shanghai');

const price = { currency: 'CNY', inputMicros: 2_000_000, outputMicros: 8_000_000, cachedMicros: 500_000, effectiveFrom: 0 };
const usage = (input: number, output: number, cached = 0) => ({ inputTokens: input, outputTokens: output, cacheReadTokens: cached });

describe('cost in millionths of the currency', () => {
  it('uncached input, cached input and output at their prices per million tokens', () => {
    // 900 × 2 + 100 × 0.5 + 500 × 8 = 5850 per million tokens → 0.00585 CNY.
    expect(costMicros(usage(1000, 500, 100), price)).toBe(5850);
  });

  it('charges cached input as input when no cached price is set', () => {
    const { cachedMicros: _c, ...noCached } = price;
    expect(costMicros(usage(1000, 0, 100), noCached)).toBe(2000);
  });

  it('rounds half up once, and stays exact where doubles would not', () => {
    expect(costMicros(usage(1, 0), { ...price, inputMicros: 500_000 })).toBe(1);
    expect(costMicros(usage(1, 0), { ...price, inputMicros: 499_999 })).toBe(0);
    const huge = { ...price, inputMicros: 999_999_999_999, outputMicros: 999_999_999_999 };
    expect(costMicros(usage(9_000_000, 9_000_000), huge)).toBe(Number((18_000_000n * 999_999_999_999n + 500_000n) / 1_000_000n));
  });
});

describe('price schedule', () => {
  it('applies the latest version that started by the instant', () => {
    const schedule = [
      { ...price, effectiveFrom: 1000 },
      { ...price, inputMicros: 1, effectiveFrom: 5000 },
    ];
    expect(priceAt(schedule, 999)).toBeUndefined();
    expect(priceAt(schedule, 1000)?.inputMicros).toBe(2_000_000);
    expect(priceAt(schedule, 5000)?.inputMicros).toBe(1);
    expect(priceAt(undefined, 5000)).toBeUndefined();
  });

  it('reads the form’s decimals as micros, its times as wire times, and gives back what it read', () => {
    const input = pricesInputSchema.parse([
      { currency: 'USD', inputPerMillion: 2.5, outputPerMillion: 10, cachedPerMillion: 0.000001, effectiveFrom: '2026-01-01 08:00:00' },
    ]);
    const schedule = priceSchedule(input, 0);
    expect(schedule).toEqual([
      { currency: 'USD', inputMicros: 2_500_000, outputMicros: 10_000_000, cachedMicros: 1, effectiveFrom: Date.parse('2026-01-01T00:00:00Z') },
    ]);
    const shown = (schedule as StoredPrice[]).map(toPublicPrice);
    expect(shown).toEqual([{ currency: 'USD', inputPerMillion: 2.5, outputPerMillion: 10, cachedPerMillion: 0.000001, effectiveFrom: '2026-01-01T08:00:00' }]);
    expect(priceSchedule(pricesInputSchema.parse(shown), 0)).toEqual(schedule);
  });

  it('starts a version without a time when it is saved, and refuses two at the same time', () => {
    const input = pricesInputSchema.parse([{ currency: 'CNY', inputPerMillion: 1, outputPerMillion: 1 }]);
    expect((priceSchedule(input, 12_345) as { effectiveFrom: number }[])[0]!.effectiveFrom).toBe(12_000);
    expect(priceSchedule([...input, ...input], 0)).toMatch('同一生效时间');
  });

  it('refuses more than six decimals, negative prices and currencies that are no codes', () => {
    const one = (fields: Record<string, unknown>) =>
      pricesInputSchema.safeParse([{ currency: 'CNY', inputPerMillion: 1, outputPerMillion: 1, ...fields }]).success;
    expect(one({ inputPerMillion: 0.0000001 })).toBe(false);
    expect(one({ outputPerMillion: -1 })).toBe(false);
    expect(one({ currency: 'yuan' })).toBe(false);
    expect(one({})).toBe(true);
  });
});
