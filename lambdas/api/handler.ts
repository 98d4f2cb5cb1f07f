import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { errorEnvelope } from '../core/wire/envelope.ts';
import { logger } from '../core/observability/logger.ts';
import { requestFromEvent } from './event.ts';
import { type Dispatched, dispatch, type FileReply } from './router.ts';
import { routes } from './routes/index.ts';
import { getApiRuntime } from './runtime.ts';

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

/** A download: its type, and its name in both forms browsers read (RFC 6266 with RFC 5987 for non-ASCII names). */
const fileHeaders = (file: FileReply) => ({
  'content-type': file.contentType,
  'content-disposition': `attachment; filename="${file.fileName.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(file.fileName)}`,
});

const logUnexpected = (err: unknown) => logger.error('unexpected error', err as Error);

/** Kept back from the function's timeout: the answer must still go out. */
const ANSWER_MARGIN_MS = 1_000;

/**
 * Every REST route behind one function, so one warm pool serves them all. A request's
 * DynamoDB calls wait out passing faults (retry.ts) until shortly before the function's
 * timeout, then answer that storage is unavailable.
 */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event, context) => {
    let dispatched: Dispatched;
    try {
      const runtime = await getApiRuntime();
      const deadline = Date.now() + context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS;
      dispatched = await dispatch(routes, requestFromEvent(event), { ...runtime, db: runtime.db.until(deadline) }, logUnexpected, (identity) =>
        logger.appendKeys({ userId: identity.userId }),
      );
    } catch (err) {
      dispatched = { status: 500, envelope: errorEnvelope(err, logUnexpected) };
    }
    const { file } = dispatched;
    if (file) return { statusCode: 200, headers: fileHeaders(file), body: file.body };
    return { statusCode: dispatched.status, headers: JSON_HEADERS, body: JSON.stringify(dispatched.envelope) };
  });
