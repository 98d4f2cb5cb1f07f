import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, HttpMethods, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { grantOnPrefix } from './prefix-grant.ts';
import type { ServiceFunction } from './service-function.ts';

/** Every upload key starts here (lambdas/core/images/image-store.ts `uploadPrefix`). */
export const IMAGE_KEY_PREFIX = 'uploads/';

export interface ImageBucketProps {
  production: boolean;
  /** Origins the browser uploads from. */
  allowedOrigins: string[];
  /** Uploaded images expire after this many days: S3 cannot tell an abandoned upload from a used one. */
  imageExpirationDays: number;
  /** How long the bucket's access logs are kept. */
  accessLogDays: number;
}

const secureBucketDefaults = {
  encryption: BucketEncryption.S3_MANAGED,
  blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
  objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
};

/**
 * Private bucket for chat images: the browser uploads with a presigned POST and reads
 * with presigned GETs; nothing is public. Server access logs go to a second bucket.
 */
export class ImageBucket extends Construct {
  readonly bucket: Bucket;
  readonly accessLogs: Bucket;

  constructor(scope: Construct, id: string, props: ImageBucketProps) {
    super(scope, id);
    const removalPolicy = props.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.accessLogs = new Bucket(this, 'AccessLogs', {
      ...secureBucketDefaults,
      removalPolicy,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(props.accessLogDays) }],
    });
    this.bucket = new Bucket(this, 'Bucket', {
      ...secureBucketDefaults,
      removalPolicy,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'images/',
      lifecycleRules: [
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        { id: 'expire-uploads', prefix: IMAGE_KEY_PREFIX, expiration: Duration.days(props.imageExpirationDays) },
      ],
      cors: [
        {
          allowedOrigins: props.allowedOrigins,
          allowedMethods: [HttpMethods.POST, HttpMethods.GET, HttpMethods.HEAD],
          allowedHeaders: ['content-type'],
          maxAge: 3600,
        },
      ],
    });
  }

  get environment(): Record<string, string> {
    return { IMAGE_BUCKET: this.bucket.bucketName };
  }

  /** The api signs upload POSTs (PutObject) and view URLs (GetObject). */
  allowUploadAndView(fn: ServiceFunction): void {
    this.allowOnUploads(fn, ['s3:PutObject', 's3:GetObject']);
  }

  /**
   * The stream reads the images a message refers to. ListBucket (on the uploads prefix
   * only) makes S3 answer 404 rather than 403 for a key that was never uploaded, so
   * such a key is ignored instead of failing the run.
   */
  allowRead(fn: ServiceFunction): void {
    this.allowOnUploads(fn, ['s3:GetObject']);
    fn.allow(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${IMAGE_KEY_PREFIX}*`] } },
      }),
    );
  }

  private allowOnUploads(fn: ServiceFunction, actions: string[]): void {
    grantOnPrefix(
      this.bucket,
      fn,
      IMAGE_KEY_PREFIX,
      actions,
      'Object keys are chosen per upload at run time (uploads/<userId>/<uuid>); the grant is limited to the uploads prefix.',
    );
  }
}
