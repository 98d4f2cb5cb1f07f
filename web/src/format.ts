/**
 * Numbers as the usage pages show them. Money comes from the API as integer millionths of
 * a currency (`costMicros`, a cost quota's `limit`) and is turned into text and back with
 * integer arithmetic only, so what is shown and what is sent are exact.
 */

const MICROS = 1_000_000;
const counts = new Intl.NumberFormat('zh-CN', { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat('zh-CN', { notation: 'compact', maximumSignificantDigits: 3 });

/** `12,345`. */
export const countText = (n: number) => counts.format(n);

/** `1.5万`, `0.0002`: for a chart's axis (round numbers, large or small), where the exact figure is in its table. */
export const compactText = (n: number) => compact.format(n);

/** Millionths as a decimal: at least two places, the rest only where they are not 0 (`1.50`, `0.000123`). */
export const microsDecimal = (micros: number) => {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  const fraction = String(abs % MICROS)
    .padStart(6, '0')
    .replace(/(\d\d\d*?)0+$/, '$1');
  return `${sign}${countText(Math.floor(abs / MICROS))}.${fraction}`;
};

/** `1.50 CNY`. */
export const moneyText = (micros: number, currency: string) => `${microsDecimal(micros)} ${currency}`;

/** A cost by currency (`{CNY: 1500000, USD: 20000}`) as `1.50 CNY + 0.02 USD`; none: `—`. */
export const costText = (costMicros: Record<string, number>) => {
  const parts = Object.entries(costMicros)
    .filter(([, micros]) => micros !== 0)
    .map(([currency, micros]) => moneyText(micros, currency));
  return parts.length ? parts.join(' + ') : '—';
};

/**
 * An amount typed in units of a currency (`100`, `0.5`: at most 6 decimals, below 10⁹ units,
 * the API's largest limit) as millionths; undefined if it is not one.
 */
export const parseMoney = (text: string): number | undefined => {
  const match = /^(\d{1,9})(?:\.(\d{1,6}))?$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * MICROS + Number((match[2] ?? '').padEnd(6, '0'));
};

/** Millionths as the editor's field shows them: no grouping, no trailing zeros (`100`, `0.5`). */
export const moneyInput = (micros: number) => {
  const fraction = String(micros % MICROS)
    .padStart(6, '0')
    .replace(/0+$/, '');
  return `${Math.floor(micros / MICROS)}${fraction ? `.${fraction}` : ''}`;
};
