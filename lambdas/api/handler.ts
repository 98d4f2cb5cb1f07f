import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { errorEnvelope } from '../core/wire/envelope.ts';
import { logger } from '../core/observability/logger.ts';
import { requestFromEvent } from './event.ts';
import { type Dispatched, dispatch } from './router.ts';
import { routes } from './routes/index.ts';
import { getApiRuntime } from './runtime.ts';

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

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
    return { statusCode: dispatched.status, headers: JSON_HEADERS, body: JSON.stringify(dispatched.envelope) };
  });
