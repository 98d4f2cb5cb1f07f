import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One logger per function. Powertools adds the request id when a handler calls
 * `addContext`; request-scoped keys (user, session, run) are appended per request
 * and cleared with `resetKeys` so nothing leaks into the next invocation.
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'ai-chat',
  logLevel: (process.env.LOG_LEVEL as 'INFO' | undefined) ?? 'INFO',
});
