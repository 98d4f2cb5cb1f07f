import * as z from 'zod/mini';
import type { TokenUsage } from '../llm/types.ts';
import { instantOfWireTime, wireTime } from '../time.ts';
import type { modelPriceSchema } from '../wire/responses.ts';

/**
 * Model prices: per million tokens in a currency, kept as integers of millionths of its unit
 * (micros), so every cost is integer arithmetic: a run's cost is rounded once, to the micro,
 * and every sum of costs is exact.
 */
export interface StoredPrice {
  currency: string;
  inputMicros: number;
  outputMicros: number;
  /** Cached input; absent: charged as input. */
  cachedMicros?: number;
  /** Epoch ms from which it applies. */
  effectiveFrom: number;
}

export type PublicPrice = z.output<typeof modelPriceSchema>;

const MICROS = 1_000_000;

/** Millionths as a decimal with all six places: exact, whatever the amount. */
export const microsText = (micros: number): string => {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  return `${sign}${Math.floor(abs / MICROS)}.${(abs % MICROS).toString().padStart(6, '0')}`;
};
/** Per million tokens: far above any model's price, and its micros well inside a safe integer. */
const MAX_PRICE = 1_000_000;
export const MAX_PRICE_VERSIONS = 50;

/** A price with at most 6 decimals, as micros. */
const amount = (field: string) =>
  z.pipe(
    z.number({ error: `${field}: 必须是数字` }).check(
      z.minimum(0, `${field}: 不能小于0`),
      z.maximum(MAX_PRICE, `${field}: 不能大于${MAX_PRICE}`),
      z.refine((n) => Math.abs(n * MICROS - Math.round(n * MICROS)) < 1e-6, `${field}: 最多6位小数`),
    ),
    z.transform((n: number) => Math.round(n * MICROS)),
  );

const WIRE_TIME = /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d$/;

/** One price as the model form sends it; a version without `effectiveFrom` applies from when it is saved. */
export const priceInputSchema = z.object({
  currency: z.string({ error: 'prices.currency: 不能为空' }).check(z.regex(/^[A-Z]{3}$/, 'prices.currency: 必须是3位大写货币代码（如 CNY、USD）')),
  inputPerMillion: amount('prices.inputPerMillion'),
  outputPerMillion: amount('prices.outputPerMillion'),
  cachedPerMillion: z.nullish(amount('prices.cachedPerMillion')),
  effectiveFrom: z.nullish(
    z.pipe(
      z.string().check(z.regex(WIRE_TIME, 'prices.effectiveFrom: 格式为 yyyy-MM-dd HH:mm:ss')),
      z.transform((text: string) => instantOfWireTime(text.replace(' ', 'T'))),
    ),
  ),
});

export const pricesInputSchema = z.array(priceInputSchema).check(z.maxLength(MAX_PRICE_VERSIONS, `prices: 最多${MAX_PRICE_VERSIONS}个价格版本`));

export type PriceInput = z.output<typeof priceInputSchema>;

/**
 * The schedule a model stores: each version's start filled in (`now` where none was
 * given), oldest first; two versions starting at the same second are refused.
 */
export const priceSchedule = (input: PriceInput[], now: number): StoredPrice[] | string => {
  const versions = input
    .map(
      (p): StoredPrice => ({
        currency: p.currency,
        inputMicros: p.inputPerMillion,
        outputMicros: p.outputPerMillion,
        ...(p.cachedPerMillion == null ? {} : { cachedMicros: p.cachedPerMillion }),
        effectiveFrom: p.effectiveFrom ?? Math.floor(now / 1000) * 1000,
      }),
    )
    .sort((a, b) => a.effectiveFrom - b.effectiveFrom);
  const clash = versions.find((v, i) => i > 0 && versions[i - 1]!.effectiveFrom === v.effectiveFrom);
  return clash ? `prices: 同一生效时间（${wireTime(clash.effectiveFrom)}）有多个价格` : versions;
};

/** The version in effect at `instant`: the latest that started by then. */
export const priceAt = (schedule: readonly StoredPrice[] | undefined, instant: number): StoredPrice | undefined =>
  (schedule ?? [])
    .filter((p) => p.effectiveFrom <= instant)
    .reduce<StoredPrice | undefined>((last, p) => (!last || p.effectiveFrom >= last.effectiveFrom ? p : last), undefined);

const decimal = (micros: number) => micros / MICROS;

export const toPublicPrice = (price: StoredPrice): PublicPrice => ({
  currency: price.currency,
  inputPerMillion: decimal(price.inputMicros),
  outputPerMillion: decimal(price.outputMicros),
  cachedPerMillion: price.cachedMicros === undefined ? null : decimal(price.cachedMicros),
  effectiveFrom: wireTime(price.effectiveFrom),
});

type Charged = Pick<TokenUsage, 'inputTokens' | 'outputTokens' | 'cacheReadTokens'>;

/**
 * A run's cost in micros at `price`, rounded half up once: uncached input, cached input and
 * output (reasoning is inside output) at their prices per million tokens. BigInt, since
 * tokens times micros per million outgrow a double's exact integers.
 */
export const costMicros = (usage: Charged, price: StoredPrice): number => {
  const cached = BigInt(Math.min(usage.cacheReadTokens, usage.inputTokens));
  const uncached = BigInt(usage.inputTokens) - cached;
  const perMillion =
    uncached * BigInt(price.inputMicros) + cached * BigInt(price.cachedMicros ?? price.inputMicros) + BigInt(usage.outputTokens) * BigInt(price.outputMicros);
  return Number((perMillion + 500_000n) / 1_000_000n);
};
