import * as z from 'zod/mini';

/** One of `values`; anything else is a 601 listing them. */
export const choice = <const T extends readonly [string, ...string[]]>(values: T, field: string) =>
  z.enum(values, { error: `${field}: 只能是 ${values.join('/')}` });
