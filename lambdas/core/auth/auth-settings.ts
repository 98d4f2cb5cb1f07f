import type { Settings } from '../settings.ts';
import type { AuthSettings } from './token-verifier.ts';

/**
 * Picks the verification mode from the settings. In AWS the HS256 secret is read from
 * Secrets Manager once per instance, so it never sits in the template as a literal;
 * the SDK client is imported for that one read, not with the handler at cold start.
 */
export const resolveAuthSettings = async (settings: Settings): Promise<AuthSettings> => {
  if (settings.JWKS_URL) {
    if (!settings.JWT_ISSUER || !settings.JWT_AUDIENCE) {
      throw new Error('configuration: JWKS_URL needs JWT_ISSUER and JWT_AUDIENCE');
    }
    return { mode: 'jwks', jwksUrl: settings.JWKS_URL, issuer: settings.JWT_ISSUER, audience: settings.JWT_AUDIENCE };
  }
  if (settings.JWT_SECRET_ARN) {
    const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
    const sm = new SecretsManagerClient({ region: settings.AWS_REGION });
    const out = await sm.send(new GetSecretValueCommand({ SecretId: settings.JWT_SECRET_ARN }));
    if (!out.SecretString) throw new Error('configuration: JWT secret is empty');
    return { mode: 'hs256', secret: out.SecretString };
  }
  if (settings.JWT_SECRET) return { mode: 'hs256', secret: settings.JWT_SECRET };
  throw new Error('configuration: set JWT_SECRET, JWT_SECRET_ARN or JWKS_URL');
};
