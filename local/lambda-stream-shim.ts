import type { Writable } from 'node:stream';

/**
 * What the Lambda Node.js runtime provides as the `awslambda` global for response
 * streaming, enough for middy's streamify mode outside Lambda: the wrapped handler is
 * called with (event, responseStream, context), and `HttpResponseStream.from` hands the
 * status and headers to the stream (locally a node:http ServerResponse or a test sink).
 */
export interface LocalResponseStream extends Writable {
  setPrelude(prelude: { statusCode?: number; headers?: Record<string, string> }): void;
}

type StreamHandler = (event: unknown, stream: Writable, context: unknown) => Promise<unknown>;

export const installLambdaStreamShim = (): void => {
  // The AWS SDK's invoke store may have created `awslambda` already (as `{}`): fill in
  // what is missing rather than skip it, so import order does not matter.
  const global = globalThis as { awslambda?: Record<string, unknown> };
  const awslambda = (global.awslambda ??= {});
  awslambda.streamifyResponse ??= (fn: StreamHandler) => fn;
  awslambda.HttpResponseStream ??= {
    from(stream: Writable, prelude: Record<string, unknown>) {
      (stream as LocalResponseStream).setPrelude?.(prelude as never);
      return stream;
    },
  };
};

installLambdaStreamShim();
