import type { Settings } from '../settings.ts';
import type { AuthSettings } from './token-verifier.ts';

/**
 * The HS256 secret. In AWS it is read from Secrets Manager once per instance, so it
 * never sits in the template as a literal; the SDK client is imported for that one
 * read, not with the handler at cold start.
 */
const hs256Secret = async (settings: Settings): Promise<string | undefined> => {
  if (!settings.JWT_SECRET_ARN) return settings.JWT_SECRET;
  const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  const sm = new SecretsManagerClient({ region: settings.AWS_REGION });
  const out = await sm.send(new GetSecretValueCommand({ SecretId: settings.JWT_SECRET_ARN }));
  if (!out.SecretString) throw new Error('configuration: JWT secret is empty');
  return out.SecretString;
};

/** Picks the verification mode from the settings: RuoYi when its API URL is set, else the token's own claims. */
export const resolveAuthSettings = async (settings: Settings): Promise<AuthSettings> => {
  if (settings.RUOYI_API_URL) {
    if (settings.JWKS_URL) throw new Error("configuration: RUOYI_API_URL takes RuoYi's HS256 secret, not JWKS_URL");
    const secret = await hs256Secret(settings);
    if (!secret) throw new Error("configuration: RUOYI_API_URL needs RuoYi's JWT secret in JWT_SECRET or JWT_SECRET_ARN");
    return {
      mode: 'ruoyi',
      secret,
      apiUrl: settings.RUOYI_API_URL,
      cacheMs: settings.RUOYI_IDENTITY_CACHE_MS,
      timeoutMs: settings.RUOYI_IDENTITY_TIMEOUT_MS,
    };
  }
  if (settings.JWKS_URL) {
    if (!settings.JWT_ISSUER || !settings.JWT_AUDIENCE) {
      throw new Error('configuration: JWKS_URL needs JWT_ISSUER and JWT_AUDIENCE');
    }
    return { mode: 'jwks', jwksUrl: settings.JWKS_URL, issuer: settings.JWT_ISSUER, audience: settings.JWT_AUDIENCE };
  }
  const secret = await hs256Secret(settings);
  if (secret) return { mode: 'hs256', secret };
  throw new Error('configuration: set JWT_SECRET, JWT_SECRET_ARN or JWKS_URL');
};
