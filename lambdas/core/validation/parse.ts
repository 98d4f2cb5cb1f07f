import type * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { ServiceError } from '../errors/service-error.ts';

/**
 * zod/mini loads no locale, so a message a schema does not write would read "Invalid input";
 * with English ones, as zod classic gives by default, it still says what was wrong.
 */
export const ENGLISH_MESSAGES = { error: en().localeError };

/**
 * Parses `input` with `schema`; the first problem becomes a 601 naming the field.
 * Messages written in a schema (the contract's texts) already name their field and
 * are passed through as they are.
 */
export const parseInput = <S extends z.ZodMiniType>(schema: S, input: unknown): z.output<S> => {
  const result = schema.safeParse(input, ENGLISH_MESSAGES);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.join('.');
  const custom = /[\u4e00-\u9fff]/.test(issue.message);
  throw ServiceError.invalid(custom || !field ? issue.message : `${field}: ${issue.message}`);
};

/** Parses a JSON request body; malformed JSON is a 601 like any other bad input. */
export const parseJsonBody = <S extends z.ZodMiniType>(schema: S, body: string | undefined | null): z.output<S> => {
  let value: unknown;
  try {
    value = body ? JSON.parse(body) : undefined;
  } catch {
    throw ServiceError.invalid('请求体不是有效的JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw ServiceError.invalid('请求体必须是JSON对象');
  }
  return parseInput(schema, value);
};

/** Parses a form body (`a=1&b=2`) as an object of strings; a name given twice keeps its last value. */
export const parseFormBody = <S extends z.ZodMiniType>(schema: S, body: string | undefined | null): z.output<S> =>
  parseInput(schema, Object.fromEntries(new URLSearchParams(body ?? '')));
