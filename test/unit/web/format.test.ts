import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compactText, costText, microsDecimal, moneyInput, parseMoney } from '../../../web/src/format.ts';

describe('money on the usage pages', () => {
  it('shows millionths exactly, with at least two decimals', () => {
    expect(microsDecimal(1_500_000)).toBe('1.50');
    expect(microsDecimal(123)).toBe('0.000123');
    expect(microsDecimal(0)).toBe('0.00');
    expect(microsDecimal(1_234_567_890_120)).toBe('1,234,567.89012');
    expect(microsDecimal(-2_500_000)).toBe('-2.50');
  });

  it('sums no currencies into one: each is shown, zeros left out', () => {
    expect(costText({ CNY: 1_500_000, USD: 20_000 })).toBe('1.50 CNY + 0.02 USD');
    expect(costText({ CNY: 0 })).toBe('—');
    expect(costText({})).toBe('—');
  });

  it('reads an amount typed in units as exact millionths, and refuses what is not one', () => {
    expect(parseMoney('100')).toBe(100_000_000);
    expect(parseMoney(' 0.5 ')).toBe(500_000);
    expect(parseMoney('0.000001')).toBe(1);
    expect(parseMoney('19.99')).toBe(19_990_000);
    for (const bad of ['', '1000000000', '1.', '.5', '1.0000001', '-1', '1e3', '1,000', 'abc']) expect(parseMoney(bad)).toBeUndefined();
  });

  it('gives back in the editor exactly the amount it reads', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999_999_999_999 }), (micros) => {
        expect(parseMoney(moneyInput(micros))).toBe(micros);
      }),
    );
    expect(moneyInput(100_000_000)).toBe('100');
    expect(moneyInput(500_000)).toBe('0.5');
  });
});

describe('chart axis labels', () => {
  it('keep small amounts readable and shorten large ones', () => {
    expect(compactText(0.0002)).toBe('0.0002');
    expect(compactText(150)).toBe('150');
    expect(compactText(40_000)).toBe('4万');
    expect(compactText(125_000)).toBe('12.5万');
  });
});
