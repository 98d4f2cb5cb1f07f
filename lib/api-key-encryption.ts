import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { ServiceFunction } from './service-function.ts';

/** The one encryption-context key the cipher sets (lambdas/core/crypto/key-cipher.ts). */
const ENCRYPTION_CONTEXT_KEY = 'modelId';

export interface ApiKeyEncryptionProps {
  production: boolean;
}

/**
 * The KMS key that encrypts model providers' API keys. Grants require the model id
 * as encryption context and allow no other context key, so a grantee cannot use the
 * key for anything but model API keys.
 */
export class ApiKeyEncryption extends Construct {
  readonly key: Key;

  constructor(scope: Construct, id: string, props: ApiKeyEncryptionProps) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      description: 'Encrypts the API keys of AI chat model providers',
      enableKeyRotation: true,
      removalPolicy: props.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(props.production ? 30 : 7),
    });
  }

  get environment(): Record<string, string> {
    return { KMS_KEY_ID: this.key.keyArn };
  }

  /** The api stores keys (Encrypt) and may check them (Decrypt). */
  allowEncryptDecrypt(fn: ServiceFunction): void {
    fn.allow(this.statement(['kms:Encrypt', 'kms:Decrypt']));
  }

  /** The stream only reads keys to call the model. */
  allowDecrypt(fn: ServiceFunction): void {
    fn.allow(this.statement(['kms:Decrypt']));
  }

  private statement(actions: string[]): PolicyStatement {
    return new PolicyStatement({
      actions,
      resources: [this.key.keyArn],
      conditions: {
        'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': [ENCRYPTION_CONTEXT_KEY] },
        Null: { [`kms:EncryptionContext:${ENCRYPTION_CONTEXT_KEY}`]: 'false' },
      },
    });
  }
}
