/** The contract's time format: ISO-8601 to the second, UTC, no zone suffix (as RuoYi prints). */
export const toIso = (date: Date): string => date.toISOString().slice(0, 19);

export const nowIso = (): string => toIso(new Date());
