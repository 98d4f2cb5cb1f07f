import { Duration } from 'aws-cdk-lib';
import { Alias, FunctionUrlAuthType, HttpMethod, InvokeMode, type FunctionUrl } from 'aws-cdk-lib/aws-lambda';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { REQUEST_HEADERS } from './rest-api.ts';
import { ServiceFunction, type FunctionDefaults } from './service-function.ts';

export interface ChatStreamProps {
  defaults: FunctionDefaults;
  serviceName: string;
  allowedOrigins: string[];
  /** Long enough for a long reasoning reply; the alarm watches runs coming near it. */
  timeout: Duration;
  reservedConcurrency?: number;
  /** Defaults to STREAM_MEMORY_MB; more buys CPU (faster first content, a higher relay ceiling) at its price. */
  memorySize?: number;
  /**
   * Instances kept initialized (no cold start for as many chats at once), billed every
   * second whether used or not: docs/performance.md gives the price. The URL then serves
   * an alias of the function's current version that holds them.
   */
  provisionedConcurrency?: number;
}

/**
 * The chat stream: a function URL in RESPONSE_STREAM mode, so reply lines reach the
 * browser as the model produces them (API Gateway would buffer them). The URL has no
 * IAM auth: browsers cannot sign requests, and the handler verifies the bearer token
 * before doing anything else.
 */
/**
 * A run mostly waits on the model and is billed for every second of it, so memory is
 * bought for its CPU share (memory / 1,769 MB of a vCPU; peak RSS is some 85 MB at every
 * size). Measured (`npm run bench`, figure 10, docs/performance.md): below 512 MB a warm
 * chat's CPU before its first content outgrows the share one CFS period gives, and the
 * first content waits for the next period; 512 MB is the smallest size that keeps it in
 * one period and keeps the infrastructure under $0.10 per 1,000 turns (figure 8).
 */
export const STREAM_MEMORY_MB = 512;

export class ChatStream extends Construct {
  readonly handler: ServiceFunction;
  readonly url: FunctionUrl;
  private readonly provisioned: boolean;

  constructor(scope: Construct, id: string, props: ChatStreamProps) {
    super(scope, id);
    this.handler = new ServiceFunction(this, 'Handler', {
      defaults: props.defaults,
      entry: 'lambdas/chat-stream/handler.ts',
      serviceName: props.serviceName,
      description: 'AI chat stream (function URL, response streaming)',
      timeout: props.timeout,
      memorySize: props.memorySize ?? STREAM_MEMORY_MB,
      reservedConcurrentExecutions: props.reservedConcurrency,
    });
    const fn = this.handler.function;
    this.provisioned = Boolean(props.provisionedConcurrency);
    const target = props.provisionedConcurrency
      ? new Alias(this, 'Live', { aliasName: 'live', version: fn.currentVersion, provisionedConcurrentExecutions: props.provisionedConcurrency })
      : fn;
    this.url = target.addFunctionUrl({
      authType: FunctionUrlAuthType.NONE,
      invokeMode: InvokeMode.RESPONSE_STREAM,
      cors: {
        allowedOrigins: props.allowedOrigins,
        allowedMethods: [HttpMethod.POST],
        allowedHeaders: REQUEST_HEADERS,
        maxAge: Duration.hours(1),
      },
    });
  }

  /**
   * Lets `caller` (the api) ask for a ready instance when a user opens the chat page
   * (lambdas/core/warm-ahead.ts): the function's name in its environment and the right
   * to invoke it, unqualified, as the URL serves it. With provisioned concurrency the
   * instances are ready already, and nothing is granted.
   */
  allowWarmAhead(caller: ServiceFunction): void {
    if (this.provisioned) return;
    const fn = this.handler.function;
    caller.function.addEnvironment('STREAM_FUNCTION_NAME', fn.functionName);
    caller.allow(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }));
  }
}
