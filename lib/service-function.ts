import { fileURLToPath } from 'node:url';
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Charset, LogLevel, NodejsFunction, OutputFormat, SourceMapMode, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../lambdas/core/observability/metrics.ts';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * One bundle per function, built by the local esbuild (no Docker). ESM needs the
 * createRequire banner for the CommonJS packages inside the bundle that call
 * `require`. The AWS SDK is bundled, not taken from the runtime: it pins the tested
 * versions, the api's presigner packages are not guaranteed to be in the runtime, and
 * one minified file imports about twice as fast as the SDK loaded module by module.
 * The source map is an external file, without the sources' text, then cut down to our
 * own sources (lib/bundling/source-map.ts): stack traces point at our TypeScript, and
 * --enable-source-maps no longer decodes megabytes of SDK mappings at cold start.
 */
const BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  target: 'node22',
  mainFields: ['module', 'main'],
  minify: true,
  sourceMap: true,
  sourceMapMode: SourceMapMode.DEFAULT,
  sourcesContent: false,
  charset: Charset.UTF8,
  bundleAwsSDK: true,
  forceDockerBundling: false,
  logLevel: LogLevel.WARNING,
  banner: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  commandHooks: {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir, outputDir) => [
      `"${process.execPath}" --import tsx "${PROJECT_ROOT}lib/bundling/trim-source-map.ts" "${outputDir}/index.mjs.map"`,
    ],
  },
};

/** CPU grows with memory, and a cold start's module loading is CPU-bound. */
const MEMORY_MB = 1024;

/** What every function of the stack shares: how it logs and how long logs are kept. */
export interface FunctionDefaults {
  logLevel: string;
  logSampleRate: number;
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
  /** Table names, key id, auth and tunables: the environment both functions read. */
  environment: Record<string, string>;
}

export interface ServiceFunctionProps {
  defaults: FunctionDefaults;
  /** Handler module, relative to the project root; it exports `handler`. */
  entry: string;
  /** POWERTOOLS_SERVICE_NAME: the `service` field of every log line and metric. */
  serviceName: string;
  description: string;
  timeout: Duration;
  reservedConcurrentExecutions?: number;
}

/**
 * A Node.js 22 arm64 function with its own role and log group. The role starts
 * empty, not with the managed AWSLambdaBasicExecutionRole (whose log permissions
 * cover every log group): it may write to its own log group only, and each
 * construct adds the statements its function needs through `allow`.
 */
export class ServiceFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    const { defaults } = props;
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: defaults.logRetention,
      removalPolicy: defaults.removalPolicy,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.serviceName}: its own log group and the data it serves`,
    });
    this.allow(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.function = new NodejsFunction(this, 'Function', {
      entry: `${PROJECT_ROOT}${props.entry}`,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      description: props.description,
      timeout: props.timeout,
      memorySize: MEMORY_MB,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      role: this.role,
      logGroup: this.logGroup,
      bundling: BUNDLING,
      environment: {
        ...defaults.environment,
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        LOG_LEVEL: defaults.logLevel,
        POWERTOOLS_LOGGER_SAMPLE_RATE: String(defaults.logSampleRate),
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
  }

  allow(statement: PolicyStatement): void {
    this.role.addToPrincipalPolicy(statement);
  }
}
