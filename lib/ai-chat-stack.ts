import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AiDistribution } from './ai-distribution.ts';
import { ApiKeyEncryption } from './api-key-encryption.ts';
import { ChatStream } from './chat-stream.ts';
import type { StackConfig } from './config.ts';
import { DataTables, TABLE_READ, TABLE_SCAN, TABLE_WRITE } from './data-tables.ts';
import { ImageBucket } from './image-bucket.ts';
import { KeptRuns } from './kept-runs.ts';
import { Monitoring } from './monitoring.ts';
import { PrivateNetwork } from './private-network.ts';
import { RestApi } from './rest-api.ts';
import type { FunctionDefaults } from './service-function.ts';
import { TokenAuth } from './token-auth.ts';

export interface AiChatStackProps extends StackProps {
  config: StackConfig;
}

/**
 * Everything one stage of the AI chat service needs in an account: data, the two
 * functions and their entry points, and the alarms and dashboard that watch them.
 * Environment-agnostic (no account or region lookups), so it synthesizes offline.
 */
export class AiChatStack extends Stack {
  readonly restApi: RestApi;
  readonly chatStream: ChatStream;
  readonly keptRuns: KeptRuns;
  readonly monitoring: Monitoring;
  readonly distribution: AiDistribution | undefined;
  readonly network: PrivateNetwork | undefined;

  constructor(scope: Construct, id: string, props: AiChatStackProps) {
    super(scope, id, props);
    const { config } = props;
    const serviceName = (fn: string) => `ai-chat-${fn}-${config.stage}`;

    const tables = new DataTables(this, 'Tables', { production: config.production });
    const apiKeys = new ApiKeyEncryption(this, 'ApiKeys', { production: config.production });
    const images = new ImageBucket(this, 'Images', {
      production: config.production,
      allowedOrigins: config.allowedOrigins,
      imageExpirationDays: config.imageExpirationDays,
      accessLogDays: config.logRetention,
    });
    const auth = new TokenAuth(this, 'Auth', { auth: config.auth, production: config.production });
    this.network = config.network && new PrivateNetwork(this, 'Network', config.network);

    const defaults: FunctionDefaults = {
      logLevel: config.logLevel,
      logSampleRate: config.logSampleRate,
      logRetention: config.logRetention,
      removalPolicy: config.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      environment: {
        ...tables.environmentOf(['Models', 'Configs', 'Sessions']),
        ...apiKeys.environment,
        ...images.environment,
        ...auth.environment,
        ...config.wireEnvironment,
        ...config.tunables,
      },
      network: this.network?.functionNetwork,
    };

    this.restApi = new RestApi(this, 'Api', {
      defaults: { ...defaults, environment: { ...defaults.environment, ...tables.environmentOf(['Audit']), ...config.apiTunables } },
      serviceName: serviceName('api'),
      allowedOrigins: config.allowedOrigins,
      throttle: config.apiThrottle,
    });
    const api = this.restApi.handler;
    tables.grant(api, 'Models', [...TABLE_READ, ...TABLE_WRITE, ...TABLE_SCAN]);
    tables.grant(api, 'Configs', [...TABLE_READ, ...TABLE_WRITE]);
    tables.grant(api, 'Sessions', [...TABLE_READ, ...TABLE_WRITE]);
    tables.grantAppendOnly(api, 'Audit');
    apiKeys.allowEncryptDecrypt(api);
    images.allowUploadAndView(api);
    auth.allowRead(api);

    this.keptRuns = new KeptRuns(this, 'KeptRuns', {
      defaults,
      serviceName: serviceName('drain'),
      production: config.production,
      accessLogs: images.accessLogs,
    });
    const drain = this.keptRuns.drain;
    tables.grant(drain, 'Sessions', [...TABLE_READ, ...TABLE_WRITE]);

    const streamTimeout = Duration.seconds(config.streamTimeoutSeconds);
    this.chatStream = new ChatStream(this, 'ChatStream', {
      // The monthly cost alarm reads the month's cost, which the stream reports after each run it stores.
      defaults: {
        ...defaults,
        environment: { ...defaults.environment, ...this.keptRuns.environment, ...(config.costAlarm ? { REPORT_MONTH_COST: 'true' } : {}) },
      },
      serviceName: serviceName('stream'),
      allowedOrigins: config.allowedOrigins,
      timeout: streamTimeout,
      reservedConcurrency: config.streamReservedConcurrency,
      provisionedConcurrency: config.streamProvisionedConcurrency,
      memorySize: config.streamMemoryMb,
    });
    const stream = this.chatStream.handler;
    tables.grant(stream, 'Models', TABLE_READ);
    tables.grant(stream, 'Configs', TABLE_READ);
    tables.grant(stream, 'Sessions', [...TABLE_READ, ...TABLE_WRITE]);
    apiKeys.allowDecrypt(stream);
    images.allowRead(stream);
    auth.allowRead(stream);
    this.keptRuns.allowKeeping(stream);
    this.chatStream.allowWarmAhead(this.restApi.handler);

    this.monitoring = new Monitoring(this, 'Monitoring', {
      api: this.restApi.api,
      apiFunction: { label: 'api', handler: api, serviceName: serviceName('api') },
      streamFunction: { label: 'stream', handler: stream, serviceName: serviceName('stream') },
      keptRuns: {
        queue: this.keptRuns.queue,
        deadLetterQueue: this.keptRuns.deadLetterQueue,
        drain: { label: 'drain', handler: drain, serviceName: serviceName('drain') },
      },
      streamTimeout,
      tables: tables.all(),
      alarmEmail: config.alarmEmail,
      costAlarm: config.costAlarm,
      dashboardName: id,
    });

    new CfnOutput(this, 'ApiUrl', {
      description: "REST API base URL: the front end's /ai/* requests go here",
      value: this.restApi.url,
    });
    new CfnOutput(this, 'ChatStreamUrl', {
      description: 'Chat stream URL: replaces /ai/chat/send in the front end',
      value: this.chatStream.url.url,
    });
    new CfnOutput(this, 'ImageOrigin', {
      description: "Origin of the presigned image URLs: the web page's CSP admits images from it (build-web --image-origin=…)",
      value: `https://${images.bucket.bucketName}.s3.${this.region}.${this.urlSuffix}`,
    });
    if (config.cloudFront) {
      this.distribution = new AiDistribution(this, 'AiDistribution', { api: this.restApi.api, streamUrl: this.chatStream.url });
      new CfnOutput(this, 'AiBaseUrl', {
        description: "One address for every /ai/* request, the chat stream included: proxy RuoYi's /prod-api/ai/ here",
        value: this.distribution.aiBaseUrl,
      });
    }
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn });
  }
}
