import { Duration, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { CorsHttpMethod, HttpApi, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ServiceFunction, type FunctionDefaults } from './service-function.ts';

export interface RestApiProps {
  defaults: FunctionDefaults;
  serviceName: string;
  allowedOrigins: string[];
  throttle: { rateLimit: number; burstLimit: number };
}

/** Headers the front end sends; the token travels in Authorization, never in a cookie. */
export const REQUEST_HEADERS = ['authorization', 'content-type'];

/** One line per request, without headers, so no token reaches the access log. */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    ip: '$context.identity.sourceIp',
    method: '$context.httpMethod',
    path: '$context.path',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    userAgent: '$context.identity.userAgent',
  }),
);

/**
 * Every REST route: an HTTP API (payload 2.0) whose `$default` route sends all paths
 * to the api function, which routes them itself, so one warm pool serves them all.
 * No authorizer: the function verifies the token exactly as the stream function does.
 */
/**
 * Calls are short and CPU-bound (verify, marshal, answer), so the page waits on its CPU
 * share; about 50 MB peak RSS (figure 8). A chat turn makes a third of a call, so the
 * size costs well under a cent per 1,000 turns and buys 29% of a vCPU.
 */
export const API_MEMORY_MB = 512;

export class RestApi extends Construct {
  readonly handler: ServiceFunction;
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: RestApiProps) {
    super(scope, id);
    this.handler = new ServiceFunction(this, 'Handler', {
      defaults: props.defaults,
      entry: 'lambdas/api/handler.ts',
      serviceName: props.serviceName,
      description: 'AI chat REST API (models, config, sessions, cancel, upload)',
      timeout: Duration.seconds(15),
      memorySize: API_MEMORY_MB,
    });
    this.api = new HttpApi(this, 'HttpApi', {
      description: 'AI chat REST API',
      createDefaultStage: false,
      defaultIntegration: new HttpLambdaIntegration('Handler', this.handler.function),
      corsPreflight: {
        allowOrigins: props.allowedOrigins,
        allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.PUT, CorsHttpMethod.DELETE],
        allowHeaders: REQUEST_HEADERS,
        maxAge: Duration.hours(1),
      },
    });
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.defaults.logRetention,
      removalPolicy: props.defaults.removalPolicy,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: { destination: new LogGroupLogDestination(this.accessLogs), format: ACCESS_LOG_FORMAT },
    });
    Validations.of(this.api.node.findChild('DefaultRoute')).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: 'The api function verifies the bearer token (HS256 or JWKS) on every route, with the code the stream function uses too.',
    });
  }

  get url(): string {
    return this.stage.url;
  }
}
