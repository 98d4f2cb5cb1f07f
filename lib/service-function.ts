import { type Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../lambdas/core/observability/metrics.ts';
import { splitBundleCode } from './bundling/function-code.ts';
import type { FunctionNetwork } from './private-network.ts';

/** What every function of the stack shares: how it logs and how long logs are kept. */
export interface FunctionDefaults {
  logLevel: string;
  logSampleRate: number;
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
  /** Table names, key id, auth and tunables: the environment both functions read. */
  environment: Record<string, string>;
  /** The VPC subnets and security groups the functions run in; outside any VPC when absent. */
  network?: FunctionNetwork;
}

/**
 * What Lambda does with the execution role to give a function its network interfaces in
 * the VPC: the set AWS's managed AWSLambdaVPCAccessExecutionRole grants, written out so
 * the role keeps no managed policy.
 */
const VPC_ACCESS_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

export interface ServiceFunctionProps {
  defaults: FunctionDefaults;
  /** Handler module, relative to the project root; it exports `handler`. */
  entry: string;
  /** POWERTOOLS_SERVICE_NAME: the `service` field of every log line and metric. */
  serviceName: string;
  description: string;
  timeout: Duration;
  /**
   * MB; CPU comes with it (a full vCPU at 1,769 MB, proportionally less below), and the
   * price of every second the function runs. Each function's is chosen from its measured
   * peak memory and CPU (`npm run bench`, figure 8).
   */
  memorySize: number;
  reservedConcurrentExecutions?: number;
}

/**
 * A Node.js 22 arm64 function with its own role and log group, its code the split
 * ESM bundle of `entry` (lib/bundling/function-bundle.ts). The role starts
 * empty, not with the managed AWSLambdaBasicExecutionRole (whose log permissions
 * cover every log group): it may write to its own log group only, and each
 * construct adds the statements its function needs through `allow`.
 */
export class ServiceFunction extends Construct {
  readonly function: LambdaFunction;
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
    this.function = new LambdaFunction(this, 'Function', {
      code: splitBundleCode(props.entry),
      handler: 'index.handler',
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      description: props.description,
      timeout: props.timeout,
      memorySize: props.memorySize,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      role: this.role,
      logGroup: this.logGroup,
      ...(defaults.network
        ? { vpc: defaults.network.vpc, vpcSubnets: { subnets: defaults.network.subnets }, securityGroups: defaults.network.securityGroups }
        : {}),
      environment: {
        ...defaults.environment,
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        LOG_LEVEL: defaults.logLevel,
        POWERTOOLS_LOGGER_SAMPLE_RATE: String(defaults.logSampleRate),
      },
    });
    if (defaults.network) this.allowVpcAccess();
  }

  private allowVpcAccess(): void {
    this.allow(new PolicyStatement({ actions: VPC_ACCESS_ACTIONS, resources: ['*'] }));
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Lambda creates and deletes the function\'s network interfaces in the VPC with its execution role; interfaces not yet created have no ARN and the Describe actions take no resource, so AWS documents these actions on "*" (AWSLambdaVPCAccessExecutionRole).',
    });
  }

  allow(statement: PolicyStatement): void {
    this.role.addToPrincipalPolicy(statement);
  }
}
