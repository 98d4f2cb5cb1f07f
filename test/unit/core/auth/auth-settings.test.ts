import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { resolveAuthSettings } from '../../../../lambdas/core/auth/auth-settings.ts';
import { readSettings } from '../../../../lambdas/core/settings.ts';

const TABLES = { MODELS_TABLE: 'm', CONFIGS_TABLE: 'c', SESSIONS_TABLE: 's' };
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:jwt-AbCdEf';

const sm = mockClient(SecretsManagerClient);
afterEach(() => sm.reset());
afterAll(() => sm.restore());

describe('resolveAuthSettings (Secrets Manager mocked)', () => {
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

describe('resolveAuthSettings in RuoYi mode', () => {
  const RUOYI = { ...TABLES, RUOYI_API_URL: 'https://ruoyi.example.com/prod-api/' };

  it("takes RuoYi's secret (literal or from Secrets Manager), the URL without its trailing slash and the defaults", async () => {
    expect(await resolveAuthSettings(readSettings({ ...RUOYI, JWT_SECRET: 'ruoyi-key' }))).toEqual({
      mode: 'ruoyi',
      secret: 'ruoyi-key',
      apiUrl: 'https://ruoyi.example.com/prod-api',
      cacheMs: 30_000,
      timeoutMs: 3_000,
    });
    sm.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: 'from-secrets-manager' });
    const settings = readSettings({ ...RUOYI, JWT_SECRET_ARN: SECRET_ARN, RUOYI_IDENTITY_CACHE_MS: '5000', RUOYI_IDENTITY_TIMEOUT_MS: '800' });
    expect(await resolveAuthSettings(settings)).toMatchObject({ mode: 'ruoyi', secret: 'from-secrets-manager', cacheMs: 5000, timeoutMs: 800 });
  });

  it('refuses RuoYi mode without a secret, with JWKS, or with a URL that is not http(s)', async () => {
    await expect(resolveAuthSettings(readSettings(RUOYI))).rejects.toThrow("RUOYI_API_URL needs RuoYi's JWT secret");
    const jwks = { ...RUOYI, JWT_SECRET: 'k', JWKS_URL: 'https://id.example/jwks.json', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' };
    await expect(resolveAuthSettings(readSettings(jwks))).rejects.toThrow('not JWKS_URL');
    expect(() => readSettings({ ...TABLES, RUOYI_API_URL: 'ftp://ruoyi.example.com' })).toThrow('configuration: RUOYI_API_URL');
    expect(() => readSettings({ ...RUOYI, RUOYI_IDENTITY_CACHE_MS: '0' })).toThrow('configuration: RUOYI_IDENTITY_CACHE_MS');
  });
});
