import { Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Bucket, CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { ServiceFunction } from './service-function.ts';

/**
 * Grants `actions` on the bucket's objects under `prefix` only, and acknowledges cdk-nag's
 * wildcard finding for exactly that resource, with `reason` (why the keys are not known
 * until run time).
 */
export const grantOnPrefix = (bucket: Bucket, fn: ServiceFunction, prefix: string, actions: string[], reason: string): void => {
  fn.allow(new PolicyStatement({ actions, resources: [bucket.arnForObjects(`${prefix}*`)] }));
  const logicalId = Stack.of(bucket).resolve((bucket.node.defaultChild as CfnBucket).logicalId) as string;
  Validations.of(fn.role).acknowledge({ id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/${prefix}*]`, reason });
};
