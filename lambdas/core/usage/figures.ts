import type * as z from 'zod/mini';
import type { usageFiguresSchema } from '../wire/responses.ts';

export type UsageFigures = z.output<typeof usageFiguresSchema>;

/** The counted figures, each a number attribute of a counter item by the same name. */
export const COUNTED = [
  'runs',
  'completedRuns',
  'cancelledRuns',
  'failedRuns',
  'estimatedRuns',
  'inputTokens',
  'outputTokens',
  'reasoningTokens',
  'cachedTokens',
  'totalTokens',
] as const satisfies readonly (keyof UsageFigures)[];

export type Counted = (typeof COUNTED)[number];

/** Cost attributes of a counter, one per currency: `cost#CNY`, in millionths. */
export const COST_PREFIX = 'cost#';
/**
 * What a counter holds against hard quotas: its tokens (cost) plus what runs in flight
 * reserved (quotas/reservation.ts). Every final write adds its run's use less its own
 * reservation, so once no run is in flight it equals the counted figure again.
 */
export const HELD_TOKENS = 'heldTokens';
export const HELD_COST_PREFIX = 'heldCost#';

export const emptyFigures = (): UsageFigures => ({
  runs: 0,
  completedRuns: 0,
  cancelledRuns: 0,
  failedRuns: 0,
  estimatedRuns: 0,
  inputTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
  cachedTokens: 0,
  totalTokens: 0,
  costMicros: {},
});

/** The figures a counter item holds (absent ones are 0). */
export const figuresOfItem = (item: Record<string, unknown> | undefined): UsageFigures => {
  const figures = emptyFigures();
  if (!item) return figures;
  for (const name of COUNTED) figures[name] = Number(item[name] ?? 0);
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(COST_PREFIX)) figures.costMicros[name.slice(COST_PREFIX.length)] = Number(value);
  }
  return figures;
};

/** Adds `more` into `into` and returns it. */
export const addFigures = (into: UsageFigures, more: UsageFigures): UsageFigures => {
  for (const name of COUNTED) into[name] += more[name];
  for (const [currency, micros] of Object.entries(more.costMicros)) into.costMicros[currency] = (into.costMicros[currency] ?? 0) + micros;
  return into;
};

export const sumFigures = (list: UsageFigures[]): UsageFigures => list.reduce(addFigures, emptyFigures());

/** A reservation's amounts by held attribute: tokens, and cost by currency. */
export const heldAmounts = (held: { tokens: number; cost: Record<string, number> }): [string, number][] => [
  [HELD_TOKENS, held.tokens],
  ...Object.entries(held.cost).map(([currency, micros]): [string, number] => [`${HELD_COST_PREFIX}${currency}`, micros]),
];
