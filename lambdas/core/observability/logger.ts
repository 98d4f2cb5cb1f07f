import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One logger per function. Powertools adds the request id when a handler calls
 * `addContext`. The api function appends its request's keys here and clears them with
 * `resetKeys`; a chat run's keys (user, session, run) stay on its own request log
 * (request-log.ts), which writes through this one.
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'ai-chat',
  logLevel: (process.env.LOG_LEVEL as 'INFO' | undefined) ?? 'INFO',
});
