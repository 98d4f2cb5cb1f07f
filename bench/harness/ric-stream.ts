import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createHttpFront } from '../../test/support/lambda-runtime/http-front.ts';
import { type EnvironmentHooks, LambdaFunction } from '../../test/support/lambda-runtime/lambda-function.ts';
import { ricModule } from '../../test/support/lambda-runtime/ric.ts';
import type { DeployedFunction } from './deployed.ts';

export interface RicStream {
  /** The function URL: `sendChat` posts to it. */
  url: string;
  fn: LambdaFunction;
  stop(): Promise<void>;
}

export interface RicStreamOptions {
  memoryMb: number;
  env: Record<string, string>;
  hooks?: EnvironmentHooks;
}

/**
 * The stream function as Lambda runs it: its deployed bundle in execution environments
 * of AWS's runtime client (test/support/lambda-runtime: frozen between invocations, a
 * new one for a request that finds none idle), behind a function URL.
 */
export const startRicStream = async (deployed: DeployedFunction, options: RicStreamOptions): Promise<RicStream> => {
  const module = ricModule();
  if (!module) throw new Error('aws-lambda-ric is not installed');
  const fn = new LambdaFunction(
    {
      name: `ai-chat-stream-bench-${options.memoryMb}`,
      taskRoot: deployed.assetDir,
      handler: 'index.handler',
      timeoutMs: deployed.timeoutS * 1000,
      memoryMb: options.memoryMb,
      region: 'us-east-1',
      env: options.env,
    },
    module,
    options.hooks,
  );
  const front = createHttpFront(fn, 'function-url');
  front.listen(0, '127.0.0.1');
  await once(front, 'listening');
  return {
    url: `http://127.0.0.1:${(front.address() as AddressInfo).port}`,
    fn,
    stop: async () => {
      front.closeAllConnections();
      front.close();
      await fn.stop();
    },
  };
};
