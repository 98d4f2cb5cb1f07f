import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { logger } from '../core/observability/logger.ts';
import { getRuntime } from '../core/runtime.ts';
import { requestFromEvent } from './event.ts';
import { dispatch } from './router.ts';
import { routes } from './routes/index.ts';

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

/** Every REST route behind one function, so one warm pool serves them all. */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    const runtime = await getRuntime();
    const { status, envelope } = await dispatch(
      routes,
      requestFromEvent(event),
      runtime,
      (err) => logger.error('unexpected error', err as Error),
      (identity) => logger.appendKeys({ userId: identity.userId }),
    );
    return { statusCode: status, headers: JSON_HEADERS, body: JSON.stringify(envelope) };
  });
