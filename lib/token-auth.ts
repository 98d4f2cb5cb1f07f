import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { AuthConfig } from './config.ts';
import type { ServiceFunction } from './service-function.ts';

export interface TokenAuthProps {
  auth: AuthConfig;
  production: boolean;
}

/**
 * How the functions verify bearer tokens. HS256: the shared secret lives in Secrets
 * Manager (imported by ARN, or created here) and the functions get its ARN and leave
 * to read it, never the value; in RuoYi mode also RuoYi's API URL, which the functions
 * call (over the internet, or inside the VPC the stack is placed in). JWKS: the URL, issuer and
 * audience, nothing secret.
 */
export class TokenAuth extends Construct {
  readonly secret?: ISecret;
  readonly environment: Record<string, string>;

  constructor(scope: Construct, id: string, props: TokenAuthProps) {
    super(scope, id);
    const { auth } = props;
    if (auth.mode === 'jwks') {
      this.environment = { JWKS_URL: auth.jwksUrl, JWT_ISSUER: auth.issuer, JWT_AUDIENCE: auth.audience };
      return;
    }
    this.secret = auth.secretArn ? Secret.fromSecretCompleteArn(this, 'JwtSecret', auth.secretArn) : this.createSecret(props.production);
    this.environment = {
      JWT_SECRET_ARN: this.secret.secretArn,
      ...(auth.ruoyiApiUrl ? { RUOYI_API_URL: auth.ruoyiApiUrl } : {}),
    };
  }

  allowRead(fn: ServiceFunction): void {
    if (!this.secret) return;
    fn.allow(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.secret.secretArn] }));
  }

  private createSecret(production: boolean): Secret {
    const secret = new Secret(this, 'JwtSecret', {
      description: 'HS256 secret of the RuoYi tokens; set it to the value RuoYi signs with (token.secret)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The HS256 secret is shared with the RuoYi back end that signs the tokens; rotating it here alone would reject every token, so it is rotated by hand on both sides.',
    });
    return secret;
  }
}
