import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { resolveAuthSettings } from '../../lambdas/core/auth/auth-settings.ts';
import { readSettings } from '../../lambdas/core/settings.ts';

const TABLES = { MODELS_TABLE: 'm', CONFIGS_TABLE: 'c', SESSIONS_TABLE: 's' };
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:jwt-AbCdEf';

describe('resolveAuthSettings (Secrets Manager mocked)', () => {
  const sm = mockClient(SecretsManagerClient);
  afterEach(() => sm.reset());
  afterAll(() => sm.restore());

  it('reads the HS256 secret from Secrets Manager when given its ARN', async () => {
    sm.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: 'from-secrets-manager' });
    const settings = readSettings({ ...TABLES, AWS_REGION: 'eu-west-1', JWT_SECRET_ARN: SECRET_ARN });
    expect(await resolveAuthSettings(settings)).toEqual({ mode: 'hs256', secret: 'from-secrets-manager' });
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('refuses an empty secret and passes a failed read on', async () => {
    const settings = readSettings({ ...TABLES, JWT_SECRET_ARN: SECRET_ARN });
    sm.on(GetSecretValueCommand).resolves({});
    await expect(resolveAuthSettings(settings)).rejects.toThrow('JWT secret is empty');
    sm.reset();
    sm.on(GetSecretValueCommand).rejects(new Error('AccessDeniedException'));
    await expect(resolveAuthSettings(settings)).rejects.toThrow('AccessDeniedException');
  });

  it('takes a literal secret or a JWKS URL without calling Secrets Manager', async () => {
    expect(await resolveAuthSettings(readSettings({ ...TABLES, JWT_SECRET: 'local' }))).toEqual({ mode: 'hs256', secret: 'local' });
    const jwks = { ...TABLES, JWKS_URL: 'https://id.example/jwks.json' };
    await expect(resolveAuthSettings(readSettings(jwks))).rejects.toThrow('JWKS_URL needs JWT_ISSUER and JWT_AUDIENCE');
    expect(await resolveAuthSettings(readSettings({ ...jwks, JWT_ISSUER: 'iss', JWT_AUDIENCE: 'aud' }))).toEqual({
      mode: 'jwks',
      jwksUrl: 'https://id.example/jwks.json',
      issuer: 'iss',
      audience: 'aud',
    });
    await expect(resolveAuthSettings(readSettings(TABLES))).rejects.toThrow('set JWT_SECRET, JWT_SECRET_ARN or JWKS_URL');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });
});
