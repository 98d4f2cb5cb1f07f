import type { Readable } from 'node:stream';
import middy from '@middy/core';
import { executionModeStreamifyResponse } from '@middy/core/StreamifyResponse';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { requestFromEvent } from '../api/event.ts';
import { createChatDeps } from '../core/chat/deps.ts';
import { warmUp } from '../core/chat/warm-up.ts';
import { startChat } from '../core/chat/1-accept/start-chat.ts';
import { errorEnvelope, fail, type Envelope } from '../core/wire/envelope.ts';
import { memoizeAsync } from '../core/memo.ts';
import { logger } from '../core/observability/logger.ts';
import { createRequestLog } from '../core/observability/request-log.ts';
import { getStreamRuntime } from './runtime.ts';
import { isWarmAheadEvent } from '../core/warm-ahead.ts';
import { REFUSAL_MSG } from '../core/wire/messages.ts';

interface StreamResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string | Readable;
}

const STREAM_PATHS = new Set(['/', '/ai/chat/send']);

/**
 * A proxy in front (RuoYi's nginx, a CDN) must pass each line on as it comes and keep
 * none: `X-Accel-Buffering: no` turns off nginx's response buffering for this response
 * whatever its config says. Refusals carry them too, as they answer the same request.
 */
const UNBUFFERED = {
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
};

const STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'x-content-type-options': 'nosniff',
  ...UNBUFFERED,
};

const json = (envelope: Envelope, statusCode = 200): StreamResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8', ...UNBUFFERED },
  body: JSON.stringify(envelope),
});

const chatDeps = memoizeAsync(async () => createChatDeps(await getStreamRuntime()));

// INIT, with a full vCPU: the runtime (the secret read), the first chat's imports and connections. A failure waits for the first chat, which reports it.
await chatDeps().then(warmUp, () => {});

/** Runs still writing their body, by invocation: the invocation must not end before its run is stored. */
const runs = new WeakMap<Context, Promise<void>>();

/**
 * The chat stream on the function URL. Middy's streamify mode sends the prelude
 * (status, headers) and pipes the returned body into Lambda's response stream; a
 * refusal before streaming is a plain JSON envelope instead.
 */
export const handler = middy<APIGatewayProxyEventV2, StreamResponse>({
  executionMode: executionModeStreamifyResponse,
  requestEnd: (request) => runs.get(request.context),
})
  .use(injectLambdaContext(logger, { logEvent: false }))
  .handler(async (event, context) => {
    // The api's ask for a ready instance (core/warm-ahead.ts): INIT, which it was for, is done.
    if (isWarmAheadEvent(event)) return { statusCode: 204, headers: {}, body: '' };
    const request = requestFromEvent(event);
    if (request.method !== 'POST' || !STREAM_PATHS.has(request.path)) return json(fail(404, REFUSAL_MSG.notFound), 404);
    const log = createRequestLog();
    try {
      const start = await startChat(await chatDeps(), {
        authorization: request.headers.authorization,
        body: request.body,
        remainingTimeMs: () => context.getRemainingTimeInMillis(),
        log,
      });
      if (start.kind === 'envelope') return json(start.envelope);
      runs.set(context, start.done);
      return { statusCode: 200, headers: STREAM_HEADERS, body: start.body };
    } catch (err) {
      return json(errorEnvelope(err, (e) => log.error('chat stream failed to start', e as Error)));
    }
  });
