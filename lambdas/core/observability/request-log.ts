import type { Logger } from '@aws-lambda-powertools/logger';
import { logger } from './logger.ts';

type LogAttributes = Record<string, unknown>;
/** An error given as the extra goes under `error`, formatted as Powertools formats errors. */
type LogLine = (message: string, extra?: LogAttributes | Error) => void;

/** What a request's code logs with: its own keys, on its own lines only. */
export interface RequestLog {
  appendKeys(attributes: LogAttributes): void;
  info: LogLine;
  warn: LogLine;
  error: LogLine;
}

/**
 * A request's logger: the keys it is given (user, session, run) go on its lines and
 * never onto the function's shared logger, where a concurrent request would pick them
 * up. The lines go through the shared logger (its level, the invocation's context set
 * by `injectLambdaContext`) with the keys as extra attributes. A Powertools child
 * logger would do the same but costs ~0.1 ms to build on every request's path (and
 * marks each of its lines `cold_start`, as a new logger's first context is).
 */
export const createRequestLog = (base: Pick<Logger, 'info' | 'warn' | 'error'> = logger): RequestLog => {
  const keys: LogAttributes = {};
  const line =
    (level: 'info' | 'warn' | 'error'): LogLine =>
    (message, extra) =>
      base[level](message, { ...(extra instanceof Error ? { error: extra } : extra), ...keys });
  return {
    appendKeys: (attributes) => Object.assign(keys, attributes),
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
  };
};
