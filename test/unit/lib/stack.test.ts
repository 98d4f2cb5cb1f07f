import { Match, type Template } from 'aws-cdk-lib/assertions';
import { Token } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { PRODUCTION_STAGE } from '../../../lib/config.ts';
import { APPEND_ONLY_ALLOW, APPEND_ONLY_DENY, TABLE_READ, TABLE_SCAN, TABLE_WRITE } from '../../../lib/data-tables.ts';
import { IMAGE_KEY_PREFIX } from '../../../lib/image-bucket.ts';
import { KEPT_RUNS_QUEUE } from '../../../lib/kept-runs.ts';
import { KEPT_RUN_PREFIX } from '../../../lambdas/core/kept-runs/kept-run.ts';
import { THRESHOLDS } from '../../../lib/monitoring.ts';
import { tableDefinitions } from '../../../lib/table-definitions.ts';
import { uploadPrefix } from '../../../lambdas/core/images/image-store.ts';
import { METRIC, METRICS_NAMESPACE } from '../../../lambdas/core/observability/metrics.ts';
import { LAMBDA_RUNTIME_NAME } from '../../../lib/lambda-node.ts';
import { logicalIdOf, synth, type Synthesized } from '../../support/synth.ts';

const ORIGINS = ['https://admin.example.com', 'http://localhost'];
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ruoyi-jwt-AbCdEf';

type Json = unknown;

/** A CloudFormation value as readable text: `X.Arn`, `X`, joins concatenated. */
const show = (value: Json): string => {
  if (typeof value === 'string') return value;
  const v = value as Record<string, Json>;
  if (v['Fn::GetAtt']) return (v['Fn::GetAtt'] as string[]).join('.');
  if (v.Ref) return String(v.Ref);
  if (v['Fn::Join']) return (v['Fn::Join'] as [string, Json[]])[1].map(show).join((v['Fn::Join'] as [string])[0]);
  return JSON.stringify(value);
};

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: Json | Json[];
  Condition?: Record<string, unknown>;
}

const list = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);

/** Every statement of every policy attached to the role, as "action resource" pairs. */
const grantsOf = (template: Template, roleId: string) => {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => (p.Properties.Roles as Json[]).some((r) => show(r) === roleId));
  const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  const pairs = new Set(statements.flatMap((s) => list(s.Action).flatMap((a) => list(s.Resource).map((r) => `${a} ${show(r)}`))));
  return { statements, pairs };
};

const pairs = (actions: string[], ...resources: string[]) => actions.flatMap((a) => resources.map((r) => `${a} ${r}`));

const fnEnv = (template: Template, fnId: string) => template.toJSON().Resources[fnId].Properties.Environment.Variables as Record<string, Json>;

describe('the stack with default context (dev, HS256 secret created)', () => {
  let s: Synthesized;
  let t: Template;
  const ids = {} as Record<
    | 'models'
    | 'configs'
    | 'sessions'
    | 'audit'
    | 'key'
    | 'images'
    | 'accessLogs'
    | 'secret'
    | 'apiFn'
    | 'streamFn'
    | 'apiRole'
    | 'streamRole'
    | 'apiLogs'
    | 'streamLogs'
    | 'topic'
    | 'keptQueue'
    | 'keptDeadLetters'
    | 'keptBucket'
    | 'drainFn'
    | 'drainRole',
    string
  >;

  beforeAll(() => {
    s = synth({ allowedOrigins: ORIGINS.join(',') });
    t = s.template;
    Object.assign(ids, {
      models: logicalIdOf(t, 'AWS::DynamoDB::Table', 'TablesModels'),
      configs: logicalIdOf(t, 'AWS::DynamoDB::Table', 'TablesConfigs'),
      sessions: logicalIdOf(t, 'AWS::DynamoDB::Table', 'TablesSessions'),
      audit: logicalIdOf(t, 'AWS::DynamoDB::Table', 'TablesAudit'),
      key: logicalIdOf(t, 'AWS::KMS::Key', 'ApiKeys'),
      images: logicalIdOf(t, 'AWS::S3::Bucket', 'ImagesBucket'),
      accessLogs: logicalIdOf(t, 'AWS::S3::Bucket', 'ImagesAccessLogs'),
      secret: logicalIdOf(t, 'AWS::SecretsManager::Secret', 'AuthJwtSecret'),
      apiFn: logicalIdOf(t, 'AWS::Lambda::Function', 'ApiHandler'),
      streamFn: logicalIdOf(t, 'AWS::Lambda::Function', 'ChatStreamHandler'),
      apiRole: logicalIdOf(t, 'AWS::IAM::Role', 'ApiHandler'),
      streamRole: logicalIdOf(t, 'AWS::IAM::Role', 'ChatStreamHandler'),
      apiLogs: logicalIdOf(t, 'AWS::Logs::LogGroup', 'ApiHandler'),
      streamLogs: logicalIdOf(t, 'AWS::Logs::LogGroup', 'ChatStreamHandler'),
      topic: logicalIdOf(t, 'AWS::SNS::Topic', 'Monitoring'),
      keptQueue: logicalIdOf(t, 'AWS::SQS::Queue', 'KeptRunsQueue'),
      keptDeadLetters: logicalIdOf(t, 'AWS::SQS::Queue', 'KeptRunsDeadLetters'),
      keptBucket: logicalIdOf(t, 'AWS::S3::Bucket', 'KeptRunsBucket'),
      drainFn: logicalIdOf(t, 'AWS::Lambda::Function', 'KeptRunsDrain'),
      drainRole: logicalIdOf(t, 'AWS::IAM::Role', 'KeptRunsDrain'),
    });
  });

  it('passes cdk-nag AwsSolutions with no unacknowledged finding, error or warning', () => {
    expect(s.nagViolations).toEqual([]);
  });

  it('fails the synth on a finding nobody acknowledged (cdk-nag is wired in)', () => {
    expect(() => synth({}, { extend: (stack) => new Bucket(stack, 'Unchecked') })).toThrow(/AwsSolutions-S10|AwsSolutions-S1\b/);
  });

  it('is environment-agnostic and needs no lookup, so it synthesizes offline', () => {
    expect(Token.isUnresolved(s.stack.account)).toBe(true);
    expect(Token.isUnresolved(s.stack.region)).toBe(true);
    expect(s.assembly.manifest.missing ?? []).toEqual([]);
  });

  describe('tables', () => {
    it('builds one table per definition with its keys, indexes and TTL', () => {
      t.resourceCountIs('AWS::DynamoDB::Table', tableDefinitions.length);
      for (const def of tableDefinitions) {
        const keys = [def.partitionKey, ...(def.sortKey ? [def.sortKey] : [])];
        t.hasResourceProperties('AWS::DynamoDB::Table', {
          KeySchema: keys.map((k, i) => ({ AttributeName: k.name, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
          AttributeDefinitions: Match.arrayWith(keys.map((k) => ({ AttributeName: k.name, AttributeType: k.type }))),
          GlobalSecondaryIndexes: def.globalIndexes.length
            ? def.globalIndexes.map((index) =>
                Match.objectLike({
                  IndexName: index.indexName,
                  KeySchema: [
                    { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
                    ...(index.sortKey ? [{ AttributeName: index.sortKey.name, KeyType: 'RANGE' }] : []),
                  ],
                  Projection: index.nonKeyAttributes ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.nonKeyAttributes] } : { ProjectionType: 'ALL' },
                }),
              )
            : Match.absent(),
          TimeToLiveSpecification: def.timeToLiveAttribute ? { AttributeName: def.timeToLiveAttribute, Enabled: true } : Match.absent(),
        });
      }
    });

    it("indexes session headers by user and creation time, carrying only the list's attributes", () => {
      expect(t.toJSON().Resources[ids.sessions].Properties.GlobalSecondaryIndexes).toEqual([
        {
          IndexName: 'byUser',
          KeySchema: [
            { AttributeName: 'userPk', KeyType: 'HASH' },
            { AttributeName: 'createdSk', KeyType: 'RANGE' },
          ],
          Projection: {
            ProjectionType: 'INCLUDE',
            NonKeyAttributes: ['sessionId', 'title', 'sessionType', 'userId', 'createdAt', 'updatedAt'],
          },
        },
      ]);
    });

    it('is on-demand with point-in-time recovery on every table', () => {
      for (const table of Object.values(t.findResources('AWS::DynamoDB::Table'))) {
        expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
        expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      }
    });

    it('lets a dev stage be destroyed', () => {
      for (const table of Object.values(t.findResources('AWS::DynamoDB::Table'))) {
        expect(table.DeletionPolicy).toBe('Delete');
        expect(table.Properties.DeletionProtectionEnabled).toBe(false);
      }
    });
  });

  describe('KMS key for API keys', () => {
    it('rotates', () => {
      t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
      t.resourceCountIs('AWS::KMS::Key', 1);
    });

    it('is used only with the modelId encryption context', () => {
      for (const role of [ids.apiRole, ids.streamRole]) {
        const kms = grantsOf(t, role).statements.filter((st) => list(st.Action).some((a) => a.startsWith('kms:')));
        expect(kms.length).toBe(1);
        expect(kms[0]!.Condition).toEqual({
          'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['modelId'] },
          Null: { 'kms:EncryptionContext:modelId': 'false' },
        });
      }
    });
  });

  describe('image bucket', () => {
    it('blocks public access, encrypts, and logs access to the log bucket', () => {
      t.hasResourceProperties('AWS::S3::Bucket', {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LoggingConfiguration: { DestinationBucketName: { Ref: ids.accessLogs }, LogFilePrefix: 'images/' },
      });
    });

    it('expires abandoned uploads and aborts incomplete ones', () => {
      const bucket = t.toJSON().Resources[ids.images];
      expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }),
          expect.objectContaining({ Prefix: IMAGE_KEY_PREFIX, ExpirationInDays: 365, Status: 'Enabled' }),
        ]),
      );
    });

    it('uses the prefix the upload code writes under', () => {
      expect(uploadPrefix('u1').startsWith(IMAGE_KEY_PREFIX)).toBe(true);
    });

    it('allows browser uploads from the configured origins only', () => {
      const bucket = t.toJSON().Resources[ids.images];
      expect(bucket.Properties.CorsConfiguration.CorsRules).toEqual([
        expect.objectContaining({ AllowedOrigins: ORIGINS, AllowedMethods: ['POST', 'GET', 'HEAD'] }),
      ]);
    });

    it('refuses plain HTTP and old TLS in the bucket policies of both buckets', () => {
      for (const bucket of [ids.images, ids.accessLogs]) {
        t.hasResourceProperties('AWS::S3::BucketPolicy', {
          Bucket: { Ref: bucket },
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Deny',
                Principal: { AWS: '*' },
                Action: 's3:*',
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              }),
              Match.objectLike({
                Effect: 'Deny',
                Principal: { AWS: '*' },
                Action: 's3:*',
                Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
              }),
            ]),
          },
        });
      }
    });
  });

  describe('REST API (HTTP API)', () => {
    it('sends every path to the api function with payload 2.0', () => {
      t.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        ProtocolType: 'HTTP',
        CorsConfiguration: {
          AllowOrigins: ORIGINS,
          AllowHeaders: ['authorization', 'content-type'],
          AllowMethods: ['GET', 'POST', 'PUT', 'DELETE'],
          MaxAge: 3600,
        },
      });
      t.resourceCountIs('AWS::ApiGatewayV2::Route', 1);
      t.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default', AuthorizationType: 'NONE' });
      t.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: { 'Fn::GetAtt': [ids.apiFn, 'Arn'] },
      });
    });

    it('throttles and writes JSON access logs without headers to a log group with retention', () => {
      const accessLogs = logicalIdOf(t, 'AWS::Logs::LogGroup', 'ApiAccessLogs');
      t.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 },
        AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [accessLogs, 'Arn'] }, Format: Match.stringLikeRegexp('requestId') },
      });
      const stage = Object.values(t.findResources('AWS::ApiGatewayV2::Stage'))[0]!;
      const format = stage.Properties.AccessLogSettings.Format as string;
      expect(JSON.parse(format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
      expect(format.toLowerCase()).not.toContain('authorization');
      t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    });
  });

  describe('chat stream function URL', () => {
    it('streams the response, has no IAM auth, and allows the configured origins', () => {
      t.hasResourceProperties('AWS::Lambda::Url', {
        TargetFunctionArn: { 'Fn::GetAtt': [ids.streamFn, 'Arn'] },
        InvokeMode: 'RESPONSE_STREAM',
        AuthType: 'NONE',
        Cors: { AllowOrigins: ORIGINS, AllowMethods: ['POST'], AllowHeaders: ['authorization', 'content-type'], MaxAge: 3600 },
      });
    });

    it('serves the function itself: no alias, no version, no provisioned concurrency unless configured', () => {
      t.resourceCountIs('AWS::Lambda::Alias', 0);
      t.resourceCountIs('AWS::Lambda::Version', 0);
    });

    it('has a timeout sized for long replies and no reserved concurrency unless configured', () => {
      t.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.handler',
        Timeout: 600,
        ReservedConcurrentExecutions: Match.absent(),
        Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'ai-chat-stream-dev' }) },
      });
    });
  });

  describe('both functions', () => {
    it('get the memory their measurements call for (figures 8 and 10), not a default', () => {
      const memory = (fn: string) => t.toJSON().Resources[fn].Properties.MemorySize;
      expect(memory(ids.streamFn)).toBe(512);
      expect(memory(ids.apiFn)).toBe(512);
    });

    it('run on Lambda’s Node (lib/lambda-node.ts) on arm64, log to their own group with retention', () => {
      for (const [fn, logs] of [
        [ids.apiFn, ids.apiLogs],
        [ids.streamFn, ids.streamLogs],
      ] as const) {
        const props = t.toJSON().Resources[fn].Properties;
        expect(props.Runtime).toBe(LAMBDA_RUNTIME_NAME);
        expect(props.Architectures).toEqual(['arm64']);
        expect(props.Handler).toBe('index.handler');
        expect(props.LoggingConfig).toEqual({ LogGroup: { Ref: logs } });
        expect(t.toJSON().Resources[logs].Properties.RetentionInDays).toBe(30);
        expect(t.toJSON().Resources[logs].DeletionPolicy).toBe('Delete');
      }
    });

    it('read the settings they need from the environment, and never a plain secret or the host allowlist', () => {
      for (const [fn, service, own] of [
        [ids.apiFn, 'ai-chat-api-dev', { AUDIT_TABLE: { Ref: ids.audit }, STREAM_FUNCTION_NAME: { Ref: ids.streamFn } }],
        [ids.streamFn, 'ai-chat-stream-dev', {}],
      ] as const) {
        const env = fnEnv(t, fn);
        const keptRuns = fn === ids.streamFn ? { KEPT_RUNS_QUEUE_URL: { Ref: ids.keptQueue }, KEPT_RUNS_BUCKET: { Ref: ids.keptBucket } } : {};
        expect(env).toEqual({
          ...keptRuns,
          MODELS_TABLE: { Ref: ids.models },
          CONFIGS_TABLE: { Ref: ids.configs },
          SESSIONS_TABLE: { Ref: ids.sessions },
          KMS_KEY_ID: { 'Fn::GetAtt': [ids.key, 'Arn'] },
          IMAGE_BUCKET: { Ref: ids.images },
          JWT_SECRET_ARN: { Ref: ids.secret },
          POWERTOOLS_SERVICE_NAME: service,
          POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
          LOG_LEVEL: 'INFO',
          POWERTOOLS_LOGGER_SAMPLE_RATE: '0',
          TIME_ZONE: 'Asia/Shanghai',
          ...own,
        });
      }
    });

    it('have roles without managed policies', () => {
      for (const role of [ids.apiRole, ids.streamRole]) {
        const props = t.toJSON().Resources[role].Properties;
        expect(props.ManagedPolicyArns).toBeUndefined();
        expect(props.AssumeRolePolicyDocument.Statement).toEqual([
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
        ]);
      }
    });

    it('grant the api function exactly what it needs', () => {
      const { statements } = grantsOf(t, ids.apiRole);
      const allowed = statements.filter((st) => st.Effect === 'Allow');
      const granted = new Set(allowed.flatMap((st) => list(st.Action).flatMap((a) => list(st.Resource).map((r) => `${a} ${show(r)}`))));
      expect([...granted].sort()).toEqual(
        [
          ...pairs(['logs:CreateLogStream', 'logs:PutLogEvents'], `${ids.apiLogs}.Arn`),
          ...pairs([...TABLE_READ, ...TABLE_WRITE, ...TABLE_SCAN], `${ids.models}.Arn`),
          ...pairs([...TABLE_READ, ...TABLE_WRITE], `${ids.configs}.Arn`, `${ids.sessions}.Arn`),
          ...pairs(['dynamodb:Query'], `${ids.sessions}.Arn/index/byUser`),
          ...pairs(['dynamodb:PutItem', 'dynamodb:Query'], `${ids.audit}.Arn`),
          ...pairs(['kms:Encrypt', 'kms:Decrypt'], `${ids.key}.Arn`),
          ...pairs(['s3:PutObject', 's3:GetObject'], `${ids.images}.Arn/${IMAGE_KEY_PREFIX}*`),
          ...pairs(['secretsmanager:GetSecretValue'], ids.secret),
          ...pairs(['lambda:InvokeFunction'], `${ids.streamFn}.Arn`),
        ].sort(),
      );
    });

    it('let the api function append audit records and read them, never change or delete one', () => {
      const { statements } = grantsOf(t, ids.apiRole);
      const onAudit = statements.filter((st) => list(st.Resource).some((r) => show(r).startsWith(`${ids.audit}.Arn`)));
      expect(onAudit.filter((st) => st.Effect === 'Allow').flatMap((st) => list(st.Action))).toEqual(APPEND_ONLY_ALLOW);
      const denied = onAudit.filter((st) => st.Effect === 'Deny');
      expect(denied).toHaveLength(1);
      const deniedActions = list(denied[0]!.Action);
      expect([...deniedActions].sort()).toEqual([...APPEND_ONLY_DENY].sort());
      // Every item write the other tables get but the put, in any of its forms, and the TTL.
      const writes = [...TABLE_WRITE.filter((a) => a !== 'dynamodb:PutItem'), 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete', 'dynamodb:UpdateTimeToLive'];
      expect(deniedActions).toEqual(expect.arrayContaining(writes));
      expect(list(denied[0]!.Resource).map(show).sort()).toEqual([`${ids.audit}.Arn`, `${ids.audit}.Arn/*`]);
    });

    it('give the stream function nothing on the audit table', () => {
      const { statements } = grantsOf(t, ids.streamRole);
      expect(JSON.stringify(statements)).not.toContain(ids.audit);
      expect(fnEnv(t, ids.streamFn).AUDIT_TABLE).toBeUndefined();
    });

    it('grant the stream function reads, session writes, and Decrypt only', () => {
      const { statements, pairs: granted } = grantsOf(t, ids.streamRole);
      expect(statements.every((st) => st.Effect === 'Allow')).toBe(true);
      expect([...granted].sort()).toEqual(
        [
          ...pairs(['logs:CreateLogStream', 'logs:PutLogEvents'], `${ids.streamLogs}.Arn`),
          ...pairs(TABLE_READ, `${ids.models}.Arn`, `${ids.configs}.Arn`),
          ...pairs([...TABLE_READ, ...TABLE_WRITE], `${ids.sessions}.Arn`),
          ...pairs(['dynamodb:Query'], `${ids.sessions}.Arn/index/byUser`),
          ...pairs(['kms:Decrypt'], `${ids.key}.Arn`),
          ...pairs(['s3:GetObject'], `${ids.images}.Arn/${IMAGE_KEY_PREFIX}*`),
          ...pairs(['s3:ListBucket'], `${ids.images}.Arn`),
          ...pairs(['secretsmanager:GetSecretValue'], ids.secret),
          ...pairs(['sqs:SendMessage'], `${ids.keptQueue}.Arn`),
          ...pairs(['s3:PutObject'], `${ids.keptBucket}.Arn/${KEPT_RUN_PREFIX}*`),
        ].sort(),
      );
      const list = statements.find((st) => [st.Action].flat().includes('s3:ListBucket'));
      expect(list!.Condition).toEqual({ StringLike: { 's3:prefix': [`${IMAGE_KEY_PREFIX}*`] } });
    });
  });

  describe('HS256 secret', () => {
    it('is generated by Secrets Manager, never a literal in the template', () => {
      const secret = t.toJSON().Resources[ids.secret];
      expect(secret.Properties.GenerateSecretString).toMatchObject({ PasswordLength: 64 });
      expect(secret.Properties.SecretString).toBeUndefined();
      expect(JSON.stringify(t.toJSON())).not.toMatch(/JWT_SECRET"/);
    });
  });

  describe('alarms', () => {
    const alarm = (prefix: string) => t.toJSON().Resources[logicalIdOf(t, 'AWS::CloudWatch::Alarm', `Monitoring${prefix}`)].Properties;

    it('have no monthly cost alarm unless the context sets an amount, and the stream reports no month then', () => {
      expect(JSON.stringify(t.findResources('AWS::CloudWatch::Alarm'))).not.toContain(METRIC.monthToDateCost);
      expect(fnEnv(t, ids.streamFn).REPORT_MONTH_COST).toBeUndefined();
    });

    it('cover function errors and throttles of every function', () => {
      for (const [prefix, fn] of [
        ['api', ids.apiFn],
        ['stream', ids.streamFn],
        ['drain', ids.drainFn],
      ] as const) {
        for (const [suffix, metricName] of [
          ['Errors', 'Errors'],
          ['Throttles', 'Throttles'],
        ]) {
          expect(alarm(`${prefix}${suffix}`)).toMatchObject({
            Namespace: 'AWS/Lambda',
            MetricName: metricName,
            Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn } }],
            Threshold: 1,
            ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          });
        }
      }
    });

    it('fire when a stream run comes near the timeout', () => {
      expect(alarm('StreamDurationNearTimeout')).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Duration',
        Statistic: 'Maximum',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: ids.streamFn } }],
        Threshold: 600_000 * THRESHOLDS.durationNearTimeout,
      });
    });

    it('watch API 5xx responses', () => {
      const api = logicalIdOf(t, 'AWS::ApiGatewayV2::Api', 'ApiHttpApi');
      expect(alarm('Api5xx')).toMatchObject({
        Namespace: 'AWS/ApiGateway',
        MetricName: '5xx',
        Dimensions: [{ Name: 'ApiId', Value: { Ref: api } }],
        Threshold: THRESHOLDS.api5xx,
      });
    });

    it('watch throttles and system errors of every table', () => {
      for (const def of tableDefinitions) {
        for (const [suffix, metricName] of [
          ['TableThrottles', 'ThrottledRequests'],
          ['TableSystemErrors', 'SystemErrors'],
        ]) {
          const props = alarm(`${def.id}${suffix}`);
          const metrics = (props.Metrics as { MetricStat?: { Metric: { MetricName: string } } }[]).filter((m) => m.MetricStat);
          expect(metrics.length).toBeGreaterThan(0);
          expect(metrics.length).toBeLessThanOrEqual(10);
          expect(metrics.every((m) => m.MetricStat!.Metric.MetricName === metricName)).toBe(true);
          expect(JSON.stringify(props.Metrics)).toContain(ids[def.id.toLowerCase() as 'models']);
        }
      }
    });

    it('fire when an audit record could not be written, from the metric the api function emits', () => {
      expect(alarm('AuditWriteFailures')).toMatchObject({
        Namespace: METRICS_NAMESPACE,
        MetricName: METRIC.auditWriteFailures,
        Dimensions: [{ Name: 'service', Value: 'ai-chat-api-dev' }],
        Statistic: 'Sum',
        Threshold: 1,
      });
    });

    it('watch the share of failed runs, from the metric names the handlers emit', () => {
      const props = alarm('FailedRunRatio');
      expect(props.Threshold).toBe(THRESHOLDS.failedRunPercent);
      const text = JSON.stringify(props.Metrics);
      expect(text).toContain('100 * FILL(failed, 0)');
      for (const name of Object.values(METRIC.runs)) {
        expect(props.Metrics).toContainEqual(
          expect.objectContaining({
            MetricStat: expect.objectContaining({
              Metric: { Namespace: METRICS_NAMESPACE, MetricName: name, Dimensions: [{ Name: 'service', Value: 'ai-chat-stream-dev' }] },
              Stat: 'Sum',
            }),
          }),
        );
      }
    });

    it('all notify the SNS topic, which requires TLS and has no subscriber without an email', () => {
      const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm'));
      // Errors and throttles of three functions, duration, 5xx, two per table, failed runs, audit, four of the kept-runs path.
      expect(alarms.length).toBe(6 + 1 + 1 + 2 * tableDefinitions.length + 1 + 1 + 4);
      for (const a of alarms) {
        expect(a.Properties.AlarmActions).toEqual([{ Ref: ids.topic }]);
        expect(a.Properties.OKActions).toEqual([{ Ref: ids.topic }]);
        expect(a.Properties.TreatMissingData).toBe('notBreaching');
      }
      t.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        },
      });
      t.resourceCountIs('AWS::SNS::Subscription', 0);
    });
  });

  it('has one dashboard showing the application metrics', () => {
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const body = JSON.stringify(Object.values(t.findResources('AWS::CloudWatch::Dashboard'))[0]!.Properties.DashboardBody);
    for (const name of [
      ...Object.values(METRIC.runs),
      METRIC.timeToFirstToken,
      METRIC.streamDuration,
      METRIC.inputTokens,
      METRIC.outputTokens,
      METRIC.cancels,
      METRIC.rateLimitHits,
      METRIC.cost,
      METRIC.runsKept,
      METRIC.runsLost,
      METRIC.keptRunsStored,
      METRIC.keptRunsRefused,
    ]) {
      expect(body).toContain(name);
    }
    expect(body).toContain(METRICS_NAMESPACE);
  });

  describe('kept-runs path (a run DynamoDB could not take in time)', () => {
    it('is an encrypted, TLS-only queue with a dead-letter queue after the redrive count', () => {
      const queue = t.toJSON().Resources[ids.keptQueue].Properties;
      expect(queue).toMatchObject({
        SqsManagedSseEnabled: true,
        VisibilityTimeout: KEPT_RUNS_QUEUE.visibilityTimeoutSeconds,
        MessageRetentionPeriod: KEPT_RUNS_QUEUE.retentionDays * 86_400,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [ids.keptDeadLetters, 'Arn'] }, maxReceiveCount: KEPT_RUNS_QUEUE.maxReceiveCount },
      });
      expect(KEPT_RUNS_QUEUE.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(KEPT_RUNS_QUEUE.drainTimeoutSeconds);
      expect(t.toJSON().Resources[ids.keptDeadLetters].Properties).toMatchObject({ SqsManagedSseEnabled: true });
      for (const queueId of [ids.keptQueue, ids.keptDeadLetters]) {
        t.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [{ Ref: queueId }],
          PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
        });
      }
    });

    it('feeds the drain in batches, reporting failed items, with a bounded concurrency', () => {
      t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [ids.keptQueue, 'Arn'] },
        FunctionName: { Ref: ids.drainFn },
        BatchSize: KEPT_RUNS_QUEUE.batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: KEPT_RUNS_QUEUE.maxConcurrency },
      });
      expect(t.toJSON().Resources[ids.drainFn].Properties).toMatchObject({
        Timeout: KEPT_RUNS_QUEUE.drainTimeoutSeconds,
        Runtime: LAMBDA_RUNTIME_NAME,
        Environment: { Variables: expect.objectContaining({ KEPT_RUNS_BUCKET: { Ref: ids.keptBucket }, SESSIONS_TABLE: { Ref: ids.sessions } }) },
      });
    });

    it('lets the drain read and delete kept runs, write sessions and consume the queue, and nothing more', () => {
      const { pairs: granted } = grantsOf(t, ids.drainRole);
      const drainLogs = logicalIdOf(t, 'AWS::Logs::LogGroup', 'KeptRunsDrain');
      expect([...granted].sort()).toEqual(
        [
          ...pairs(['logs:CreateLogStream', 'logs:PutLogEvents'], `${drainLogs}.Arn`),
          ...pairs([...TABLE_READ, ...TABLE_WRITE], `${ids.sessions}.Arn`),
          ...pairs(['dynamodb:Query'], `${ids.sessions}.Arn/index/byUser`),
          ...pairs(['s3:GetObject', 's3:DeleteObject'], `${ids.keptBucket}.Arn/${KEPT_RUN_PREFIX}*`),
          ...pairs(
            ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
            `${ids.keptQueue}.Arn`,
          ),
        ].sort(),
      );
    });

    it('keeps large runs in a private bucket that logs access and expires what was never drained', () => {
      const bucket = t.toJSON().Resources[ids.keptBucket].Properties;
      expect(bucket.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.LoggingConfiguration).toEqual({ DestinationBucketName: { Ref: ids.accessLogs }, LogFilePrefix: 'kept-runs/' });
      expect(bucket.LifecycleConfiguration.Rules).toContainEqual(
        expect.objectContaining({ Prefix: KEPT_RUN_PREFIX, ExpirationInDays: KEPT_RUNS_QUEUE.retentionDays, Status: 'Enabled' }),
      );
    });

    it('alarms on kept and lost runs, on a run waiting too long, and on dead letters', () => {
      const alarm = (prefix: string) => t.toJSON().Resources[logicalIdOf(t, 'AWS::CloudWatch::Alarm', `Monitoring${prefix}`)].Properties;
      for (const [prefix, name] of [
        ['RunsKept', METRIC.runsKept],
        ['RunsLost', METRIC.runsLost],
      ] as const) {
        expect(alarm(prefix)).toMatchObject({ Namespace: METRICS_NAMESPACE, MetricName: name, Threshold: 1, Statistic: 'Sum' });
      }
      expect(alarm('KeptRunsWaiting')).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.keptQueue, 'QueueName'] } }],
        Threshold: THRESHOLDS.keptRunAgeSeconds,
      });
      expect(alarm('KeptRunsDeadLetters')).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.keptDeadLetters, 'QueueName'] } }],
        Threshold: 1,
      });
    });
  });

  it('outputs the API URL, the function URL and the image origin the page admits', () => {
    t.hasOutput('ApiUrl', { Value: Match.anyValue() });
    t.hasOutput('ChatStreamUrl', { Value: { 'Fn::GetAtt': [logicalIdOf(t, 'AWS::Lambda::Url', 'ChatStream'), 'FunctionUrl'] } });
    t.hasOutput('ImageOrigin', {
      Value: { 'Fn::Join': ['', ['https://', { Ref: ids.images }, '.s3.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]] },
    });
  });

  it('has no CloudFront distribution unless the context asks for one', () => {
    t.resourceCountIs('AWS::CloudFront::Distribution', 0);
    expect(t.findOutputs('AiBaseUrl')).toEqual({});
  });
});

describe('the stack for production with JWKS, an alarm email and tuned settings', () => {
  let s: Synthesized;

  beforeAll(() => {
    s = synth({
      stage: PRODUCTION_STAGE,
      allowedOrigins: ['https://admin.example.com'],
      jwksUrl: 'https://cognito-idp.eu-west-1.amazonaws.com/pool/.well-known/jwks.json',
      jwtIssuer: 'https://cognito-idp.eu-west-1.amazonaws.com/pool',
      jwtAudience: 'ruoyi',
      alarmEmail: 'ops@example.com',
      streamTimeoutSeconds: '900',
      streamReservedConcurrency: '20',
      streamMemoryMb: '512',
      cancelPollMs: '500',
      storagePatienceMs: '20000',
      uploadTicketsPerMinute: '5',
      uploadMbPerDay: '50',
      auditRetentionDays: '183',
      logLevel: 'DEBUG',
      logSampleRate: '0.1',
      logRetentionDays: '90',
      timeZone: 'Europe/Berlin',
      ruoyiUploadPrefix: '/files/public',
      ruoyiFilesPrefix: '/api/files',
      costAlarmAmount: '5000',
      costAlarmCurrency: 'USD',
    });
  });

  it('alarms once the month’s cost reaches the amount, from the figure only the stream reports', () => {
    const t = s.template;
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS_NAMESPACE,
      MetricName: METRIC.monthToDateCost,
      Dimensions: Match.arrayWith([
        { Name: 'currency', Value: 'USD' },
        { Name: 'service', Value: 'ai-chat-stream-prod' },
      ]),
      Statistic: 'Maximum',
      Threshold: 5000,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'ignore',
    });
    expect(fnEnv(t, logicalIdOf(t, 'AWS::Lambda::Function', 'ChatStreamHandler')).REPORT_MONTH_COST).toBe('true');
    expect(fnEnv(t, logicalIdOf(t, 'AWS::Lambda::Function', 'ApiHandler')).REPORT_MONTH_COST).toBeUndefined();
    expect(JSON.stringify(Object.values(t.findResources('AWS::CloudWatch::Dashboard'))[0]!.Properties.DashboardBody)).toContain(METRIC.monthToDateCost);
  });

  it('passes cdk-nag as well', () => {
    expect(s.nagViolations).toEqual([]);
  });

  it('keeps its data: deletion protection and RETAIN on tables, key, buckets and logs', () => {
    const t = s.template;
    for (const table of Object.values(t.findResources('AWS::DynamoDB::Table'))) {
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.Properties.DeletionProtectionEnabled).toBe(true);
    }
    for (const type of ['AWS::KMS::Key', 'AWS::S3::Bucket', 'AWS::Logs::LogGroup']) {
      for (const resource of Object.values(t.findResources(type))) expect(resource.DeletionPolicy).toBe('Retain');
    }
  });

  it('verifies tokens against the JWKS: no secret, no Secrets Manager permission', () => {
    const t = s.template;
    t.resourceCountIs('AWS::SecretsManager::Secret', 0);
    for (const fn of Object.values(t.findResources('AWS::Lambda::Function'))) {
      const env = fn.Properties.Environment.Variables;
      expect(env).toMatchObject({
        JWKS_URL: 'https://cognito-idp.eu-west-1.amazonaws.com/pool/.well-known/jwks.json',
        JWT_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/pool',
        JWT_AUDIENCE: 'ruoyi',
        LOG_LEVEL: 'DEBUG',
        POWERTOOLS_LOGGER_SAMPLE_RATE: '0.1',
        CANCEL_POLL_MS: '500',
        STORAGE_PATIENCE_MS: '20000',
        TIME_ZONE: 'Europe/Berlin',
        RUOYI_UPLOAD_PREFIX: '/files/public',
        RUOYI_FILES_PREFIX: '/api/files',
      });
      expect(env.JWT_SECRET_ARN).toBeUndefined();
      expect(env.MODEL_HOST_ALLOWLIST).toBeUndefined();
    }
    expect(JSON.stringify(t.findResources('AWS::IAM::Policy'))).not.toContain('secretsmanager:');
  });

  it('passes the upload bounds and the audit retention to the api function only', () => {
    const t = s.template;
    expect(fnEnv(t, logicalIdOf(t, 'AWS::Lambda::Function', 'ApiHandler'))).toMatchObject({
      UPLOAD_TICKETS_PER_MINUTE: '5',
      UPLOAD_MB_PER_DAY: '50',
      AUDIT_RETENTION_DAYS: '183',
    });
    const streamEnv = fnEnv(t, logicalIdOf(t, 'AWS::Lambda::Function', 'ChatStreamHandler'));
    expect(streamEnv.UPLOAD_TICKETS_PER_MINUTE).toBeUndefined();
    expect(streamEnv.UPLOAD_MB_PER_DAY).toBeUndefined();
    expect(streamEnv.AUDIT_RETENTION_DAYS).toBeUndefined();
  });

  it('sizes the stream function from context and alarms near its timeout', () => {
    const t = s.template;
    t.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 900,
      ReservedConcurrentExecutions: 20,
      MemorySize: 512,
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'ai-chat-stream-prod' }) },
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Duration', Threshold: 900_000 * THRESHOLDS.durationNearTimeout });
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('subscribes the alarm email to the topic', () => {
    s.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });
});

describe('provisioned concurrency for the stream (streamProvisionedConcurrency)', () => {
  let s: Synthesized;

  beforeAll(() => {
    s = synth({ streamProvisionedConcurrency: '2', streamReservedConcurrency: '10' });
  });

  it('keeps that many instances initialized on an alias of the current version, and the function URL serves the alias', () => {
    const t = s.template;
    const fn = logicalIdOf(t, 'AWS::Lambda::Function', 'ChatStreamHandler');
    const version = logicalIdOf(t, 'AWS::Lambda::Version', 'ChatStreamHandler');
    const alias = logicalIdOf(t, 'AWS::Lambda::Alias', 'ChatStream');
    t.hasResourceProperties('AWS::Lambda::Version', { FunctionName: { Ref: fn } });
    t.hasResourceProperties('AWS::Lambda::Alias', {
      FunctionName: { Ref: fn },
      FunctionVersion: { 'Fn::GetAtt': [version, 'Version'] },
      Name: 'live',
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 },
    });
    t.resourceCountIs('AWS::Lambda::Url', 1);
    t.hasResourceProperties('AWS::Lambda::Url', {
      TargetFunctionArn: { 'Fn::GetAtt': [fn, 'Arn'] },
      Qualifier: 'live',
      InvokeMode: 'RESPONSE_STREAM',
      AuthType: 'NONE',
    });
    t.hasResourceProperties('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunctionUrl', FunctionName: { Ref: alias }, FunctionUrlAuthType: 'NONE' });
    t.hasOutput('ChatStreamUrl', { Value: { 'Fn::GetAtt': [logicalIdOf(t, 'AWS::Lambda::Url', 'ChatStream'), 'FunctionUrl'] } });
  });

  it('leaves warm-ahead out: the instances are ready, and the api may not invoke the stream', () => {
    const t = s.template;
    const api = logicalIdOf(t, 'AWS::Lambda::Function', 'ApiHandler');
    expect(fnEnv(t, api).STREAM_FUNCTION_NAME).toBeUndefined();
    expect(JSON.stringify(t.findResources('AWS::IAM::Policy'))).not.toContain('lambda:InvokeFunction"');
  });

  it('passes cdk-nag', () => {
    expect(s.nagViolations).toEqual([]);
  });
});

describe('an imported HS256 secret', () => {
  it('is referenced by ARN and readable by both functions, nothing created', () => {
    const { template: t, nagViolations } = synth({ jwtSecretArn: SECRET_ARN });
    expect(nagViolations).toEqual([]);
    t.resourceCountIs('AWS::SecretsManager::Secret', 0);
    for (const fn of Object.values(t.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.Environment.Variables.JWT_SECRET_ARN).toBe(SECRET_ARN);
    }
    for (const role of ['ApiHandler', 'ChatStreamHandler']) {
      const { pairs: granted } = grantsOf(t, logicalIdOf(t, 'AWS::IAM::Role', role));
      expect(granted).toContain(`secretsmanager:GetSecretValue ${SECRET_ARN}`);
    }
  });
});

describe('RuoYi mode (ruoyiApiUrl)', () => {
  it("gives both functions RuoYi's API URL, the imported secret and the identity tunables, nothing else", () => {
    const { template: t, nagViolations } = synth({
      jwtSecretArn: SECRET_ARN,
      ruoyiApiUrl: 'https://ruoyi.example.com/prod-api/',
      ruoyiIdentityCacheMs: '10000',
      ruoyiIdentityTimeoutMs: '2000',
    });
    expect(nagViolations).toEqual([]);
    for (const role of ['ApiHandler', 'ChatStreamHandler']) {
      const env = fnEnv(t, logicalIdOf(t, 'AWS::Lambda::Function', role));
      expect(env).toMatchObject({
        JWT_SECRET_ARN: SECRET_ARN,
        RUOYI_API_URL: 'https://ruoyi.example.com/prod-api',
        RUOYI_IDENTITY_CACHE_MS: '10000',
        RUOYI_IDENTITY_TIMEOUT_MS: '2000',
      });
      expect(env.JWKS_URL).toBeUndefined();
    }
  });

  it('is off without ruoyiApiUrl: no RUOYI_ variable reaches a function', () => {
    const { template: t } = synth({ jwtSecretArn: SECRET_ARN });
    for (const fn of Object.values(t.findResources('AWS::Lambda::Function'))) {
      expect(Object.keys(fn.Properties.Environment.Variables).filter((k) => k.startsWith('RUOYI_'))).toEqual([]);
    }
  });
});

describe('context checks', () => {
  it.each([
    [{ allowedOrigins: '*' }, /allowedOrigins/],
    [{ allowedOrigins: 'https://admin.example.com/path' }, /exact origin/],
    [{ allowedOrigins: '' }, /at least one origin/],
    [{ stage: 'Prod!' }, /context stage/],
    [{ jwksUrl: 'https://issuer.example.com/jwks.json' }, /jwtIssuer and jwtAudience/],
    [{ jwksUrl: 'http://issuer.example.com/jwks.json', jwtIssuer: 'i', jwtAudience: 'a' }, /https/],
    [{ jwksUrl: 'https://issuer.example.com/jwks.json', jwtIssuer: 'i', jwtAudience: 'a', jwtSecretArn: SECRET_ARN }, /not both/],
    [{ jwtSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ruoyi-jwt' }, /complete secret ARN/],
    [{ streamTimeoutSeconds: '1200' }, /streamTimeoutSeconds/],
    [{ streamMemoryMb: '64' }, /streamMemoryMb/],
    [{ streamProvisionedConcurrency: '0' }, /streamProvisionedConcurrency/],
    [{ streamProvisionedConcurrency: '5', streamReservedConcurrency: '4' }, /streamProvisionedConcurrency: cannot exceed streamReservedConcurrency/],
    [{ logRetentionDays: '31' }, /retention period/],
    [{ cancelPollMs: '-5' }, /cancelPollMs/],
    [{ uploadMbPerDay: '0' }, /uploadMbPerDay/],
    [{ timeZone: 'Asia/Beijing' }, /IANA time zone/],
    [{ timeZone: '+08:00' }, /IANA time zone/],
    [{ ruoyiUploadPrefix: '/profile/' }, /ruoyiUploadPrefix/],
    [{ ruoyiFilesPrefix: 'common/files' }, /ruoyiFilesPrefix/],
    [{ ruoyiApiUrl: 'http://ruoyi.example.com/prod-api' }, /context ruoyiApiUrl: must be an https URL/],
    [{ ruoyiApiUrl: 'https://ruoyi.example.com/prod-api?x=1' }, /without query or fragment/],
    [{ ruoyiApiUrl: 'https://ruoyi.example.com', jwksUrl: 'https://issuer.example.com/jwks.json', jwtIssuer: 'i', jwtAudience: 'a' }, /HS256/],
    [{ ruoyiIdentityCacheMs: '5000' }, /context ruoyiIdentityCacheMs: needs ruoyiApiUrl/],
    [{ ruoyiApiUrl: 'https://ruoyi.example.com', ruoyiIdentityTimeoutMs: '0' }, /ruoyiIdentityTimeoutMs/],
    [{ costAlarmAmount: '0' }, /costAlarmAmount/],
    [{ costAlarmAmount: '500', costAlarmCurrency: 'yuan' }, /costAlarmCurrency: must be a currency code/],
  ])('refuses %j', (context, message) => {
    expect(() => synth(context)).toThrow(message);
  });
});
