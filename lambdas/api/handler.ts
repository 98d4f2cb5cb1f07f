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

/** Every REST route behind one function, so one warm pool serves them all. */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    let dispatched: Dispatched;
    try {
      dispatched = await dispatch(routes, requestFromEvent(event), await getApiRuntime(), logUnexpected, (identity) =>
        logger.appendKeys({ userId: identity.userId }),
      );
    } catch (err) {
      dispatched = { status: 500, envelope: errorEnvelope(err, logUnexpected) };
    }
    const { file } = dispatched;
    if (file) return { statusCode: 200, headers: fileHeaders(file), body: file.body };
    return { statusCode: dispatched.status, headers: JSON_HEADERS, body: JSON.stringify(dispatched.envelope) };
  });
