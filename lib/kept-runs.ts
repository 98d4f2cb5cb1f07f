import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { KEPT_RUN_PREFIX } from '../lambdas/core/kept-runs/kept-run.ts';
import { grantOnPrefix } from './prefix-grant.ts';
import { type FunctionDefaults, ServiceFunction } from './service-function.ts';

/**
 * How the kept-runs queue and its drain are set; the local stand-ins (local/kept-runs.ts)
 * take the same numbers.
 */
export const KEPT_RUNS_QUEUE = {
  /** The drain retries DynamoDB for nearly this long per delivery (lambdas/drain/handler.ts). */
  drainTimeoutSeconds: 60,
  /**
   * At least the drain's timeout (Lambda requires it), and not much more: a message that
   * failed waits this long before it is tried again, and a run must reach its session
   * within a minute of DynamoDB answering again.
   */
  visibilityTimeoutSeconds: 90,
  /** Deliveries before the dead-letter queue: every 90 s for about 12 hours, a long regional outage. */
  maxReceiveCount: 500,
  /** SQS's longest; the bucket's objects expire with it. */
  retentionDays: 14,
  batchSize: 10,
  /** Drains at once: a backlog reaches DynamoDB as it recovers without a stampede. */
  maxConcurrency: 5,
} as const;

export interface KeptRunsProps {
  defaults: FunctionDefaults;
  serviceName: string;
  production: boolean;
  /** Where the bucket's server access logs go (the image bucket's log bucket). */
  accessLogs: Bucket;
}

/**
 * The durable fallback of a run's final store (lambdas/core/kept-runs): when DynamoDB
 * does not take a finished run within its time, the stream function sends the run to
 * this SQS queue (a run over 900 KB waits in the bucket, the message naming it), and the
 * drain function stores it with the same final write once DynamoDB answers, as often as
 * the queue redelivers it; after maxReceiveCount deliveries it goes to the dead-letter
 * queue, whose alarm calls an operator (lib/monitoring.ts), and a redrive
 * (StartMessageMoveTask) brings it back.
 */
export class KeptRuns extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly bucket: Bucket;
  readonly drain: ServiceFunction;

  constructor(scope: Construct, id: string, props: KeptRunsProps) {
    super(scope, id);
    const removalPolicy = props.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const retentionPeriod = Duration.days(KEPT_RUNS_QUEUE.retentionDays);
    const queueDefaults = { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod, removalPolicy };
    this.deadLetterQueue = new Queue(this, 'DeadLetters', queueDefaults);
    this.queue = new Queue(this, 'Queue', {
      ...queueDefaults,
      visibilityTimeout: Duration.seconds(KEPT_RUNS_QUEUE.visibilityTimeoutSeconds),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: KEPT_RUNS_QUEUE.maxReceiveCount },
    });
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      removalPolicy,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'kept-runs/',
      lifecycleRules: [
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        // A run whose message never went out, or went to the dead-letter queue and was never redriven.
        { id: 'expire-kept-runs', prefix: KEPT_RUN_PREFIX, expiration: retentionPeriod },
      ],
    });
    this.drain = new ServiceFunction(this, 'Drain', {
      defaults: { ...props.defaults, environment: { ...props.defaults.environment, ...this.environment } },
      entry: 'lambdas/drain/handler.ts',
      serviceName: props.serviceName,
      description: 'AI chat kept-runs drain: stores runs DynamoDB could not take in time',
      timeout: Duration.seconds(KEPT_RUNS_QUEUE.drainTimeoutSeconds),
      memorySize: 256,
    });
    this.drain.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: KEPT_RUNS_QUEUE.batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: KEPT_RUNS_QUEUE.maxConcurrency,
      }),
    );
    this.allowOnRuns(this.drain, ['s3:GetObject', 's3:DeleteObject']);
  }

  /** The queue and the bucket, as the stream and the drain functions read them. */
  get environment(): Record<string, string> {
    return { KEPT_RUNS_QUEUE_URL: this.queue.queueUrl, KEPT_RUNS_BUCKET: this.bucket.bucketName };
  }

  /** The stream function keeps runs: it sends messages and writes the objects of large ones. */
  allowKeeping(fn: ServiceFunction): void {
    fn.allow(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }));
    this.allowOnRuns(fn, ['s3:PutObject']);
  }

  private allowOnRuns(fn: ServiceFunction, actions: string[]): void {
    grantOnPrefix(
      this.bucket,
      fn,
      KEPT_RUN_PREFIX,
      actions,
      'A kept run is stored under its run id (runs/<runId>.json), known only at run time; the grant is limited to that prefix.',
    );
  }
}
