import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';

/**
 * What the Lambda Node.js runtime provides as the `awslambda` global for response
 * streaming, enough for middy's streamify mode outside Lambda: the wrapped handler is
 * called with (event, responseStream, context), and `HttpResponseStream.from` hands the
 * status and headers to the stream (locally a node:http response or a test sink; on
 * Lambda, the JSON prelude the function URL turns into status and headers).
 * test/integration/runtime-fidelity/ runs the bundles under AWS's runtime client itself, and
 * docs/testing.md lists where this shim still differs from it.
 */
export interface LocalResponseStream extends Writable {
  setPrelude(prelude: { statusCode?: number; headers?: Record<string, string> }): void;
}

type StreamHandler = ((event: unknown, stream: Writable, context: unknown) => Promise<unknown>) & { [key: symbol]: unknown };

/** How the runtime client marks a handler as streaming. */
const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');

export const installLambdaStreamShim = (): void => {
  // The AWS SDK's invoke store may have created `awslambda` already (as `{}`): fill in
  // what is missing rather than skip it, so import order does not matter.
  const global = globalThis as { awslambda?: Record<string, unknown> };
  global.awslambda ??= {};
  const awslambda = global.awslambda;
  awslambda.streamifyResponse ??= (fn: StreamHandler) => Object.assign(fn, { [STREAMING]: 'response' });
  awslambda.HttpResponseStream ??= {
    from(stream: Writable, prelude: Record<string, unknown>) {
      (stream as LocalResponseStream).setPrelude?.(prelude as never);
      return stream;
    },
  };
};

/**
 * The response stream a streaming handler gets, over a node:http response. As on Lambda,
 * the function is never told that the client went away (the runtime client has no such
 * signal, and the function URL keeps accepting what it writes): once the connection is
 * gone its writes are dropped and the stream still ends normally.
 */
export const responseStreamTo = (res: ServerResponse, headers: Record<string, string> = {}): LocalResponseStream => {
  const connected = () => !res.destroyed && !res.writableEnded;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!connected() || res.write(chunk)) return done();
      // The client's backpressure holds the function back while the client is there.
      const resume = () => {
        res.off('drain', resume).off('close', resume);
        done();
      };
      res.on('drain', resume).on('close', resume);
    },
    final(done) {
      if (connected()) res.end();
      done();
    },
  });
  return Object.assign(stream, {
    setPrelude(prelude: { statusCode?: number; headers?: Record<string, string> }) {
      if (connected() && !res.headersSent) res.writeHead(prelude.statusCode ?? 200, { ...headers, ...prelude.headers });
    },
  });
};

installLambdaStreamShim();
