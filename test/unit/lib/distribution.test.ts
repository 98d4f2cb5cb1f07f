import { App } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { CachePolicy, OriginRequestPolicy } from 'aws-cdk-lib/aws-cloudfront';
import { beforeAll, describe, expect, it } from 'vitest';
import { readStackConfig } from '../../../lib/config.ts';
import { readSettings } from '../../../lambdas/core/settings.ts';
import { logicalIdOf, synth, type Synthesized } from '../../support/synth.ts';

type Json = any;

/** `Fn::Select [2, Fn::Split ['/', X.Attr]]`: the host of the URL attribute X.Attr. */
const hostOfAttribute = (domainName: Json): string => {
  const [index, split] = domainName['Fn::Select'];
  expect(index).toBe(2);
  const [separator, value] = split['Fn::Split'];
  expect(separator).toBe('/');
  return (value['Fn::GetAtt'] as string[]).join('.');
};

describe('the stack with cloudFront=true', () => {
  let s: Synthesized;
  let t: Template;
  let config: Json;
  let origins: Record<string, Json>;

  beforeAll(() => {
    s = synth({ allowedOrigins: 'https://admin.example.com', cloudFront: 'true' });
    t = s.template;
    const distributions = Object.values(t.findResources('AWS::CloudFront::Distribution'));
    expect(distributions).toHaveLength(1);
    config = distributions[0]!.Properties.DistributionConfig;
    origins = Object.fromEntries((config.Origins as Json[]).map((o) => [o.Id, o]));
  }, 180_000);

  it('passes cdk-nag with no unacknowledged finding', () => {
    expect(s.nagViolations).toEqual([]);
  });

  it('sends /ai/chat/send to the stream function URL and everything else to the HTTP API', () => {
    const urlId = logicalIdOf(t, 'AWS::Lambda::Url', 'ChatStream');
    const apiId = logicalIdOf(t, 'AWS::ApiGatewayV2::Api', 'ApiHttpApi');
    expect(config.CacheBehaviors).toHaveLength(1);
    const stream = config.CacheBehaviors[0];
    expect(stream.PathPattern).toBe('/ai/chat/send');
    expect(hostOfAttribute(origins[stream.TargetOriginId].DomainName)).toBe(`${urlId}.FunctionUrl`);
    expect(hostOfAttribute(origins[config.DefaultCacheBehavior.TargetOriginId].DomainName)).toBe(`${apiId}.ApiEndpoint`);
    // The page's paths reach the origins unchanged: no origin path is prepended.
    for (const origin of Object.values(origins)) expect(origin.OriginPath ?? '').toBe('');
  });

  it('passes every method, the Authorization header and bodies through, and caches and compresses nothing', () => {
    for (const behavior of [config.DefaultCacheBehavior, ...config.CacheBehaviors]) {
      expect(behavior.AllowedMethods).toEqual(expect.arrayContaining(['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE']));
      expect(behavior.CachePolicyId).toBe(CachePolicy.CACHING_DISABLED.cachePolicyId);
      expect(behavior.OriginRequestPolicyId).toBe(OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER.originRequestPolicyId);
      expect(behavior.Compress).toBe(false);
      expect(behavior.ViewerProtocolPolicy).toBe('https-only');
      expect(behavior.FunctionAssociations ?? behavior.LambdaFunctionAssociations ?? []).toEqual([]);
    }
  });

  it('talks HTTPS (TLS 1.2) to both origins and waits for the stream longer than a run waits for its model', () => {
    for (const origin of Object.values(origins)) {
      expect(origin.CustomOriginConfig.OriginProtocolPolicy).toBe('https-only');
      expect(origin.CustomOriginConfig.OriginSSLProtocols).toEqual(['TLSv1.2']);
    }
    const stream = origins[config.CacheBehaviors[0].TargetOriginId].CustomOriginConfig;
    const idleMs = readSettings({ MODELS_TABLE: 'm', CONFIGS_TABLE: 'c', SESSIONS_TABLE: 's' }).UPSTREAM_IDLE_TIMEOUT_MS;
    expect(stream.OriginReadTimeout * 1000).toBeGreaterThan(idleMs);
    expect(stream.OriginReadTimeout).toBeLessThanOrEqual(120);
  });

  it('keeps the stream URL streaming, verified by the handler (auth type NONE: OAC would take the Authorization header)', () => {
    t.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE', InvokeMode: 'RESPONSE_STREAM' });
  });

  it("outputs AiBaseUrl: the distribution's /ai/ address", () => {
    const id = logicalIdOf(t, 'AWS::CloudFront::Distribution', 'AiDistribution');
    t.hasOutput('AiBaseUrl', { Value: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [id, 'DomainName'] }, '/ai/']] } });
    // The two-origin setup stays possible.
    t.hasOutput('ApiUrl', {});
    t.hasOutput('ChatStreamUrl', {});
  });
});

describe('the cloudFront context key', () => {
  const read = (cloudFront: unknown) => readStackConfig(new App({ context: { allowedOrigins: 'https://admin.example.com', cloudFront } }).node).cloudFront;

  it('takes true and false as the CLI (strings) and cdk.json (booleans) give them', () => {
    expect([read('true'), read(true), read('false'), read(false)]).toEqual([true, true, false, false]);
    expect(readStackConfig(new App({ context: { allowedOrigins: 'https://admin.example.com' } }).node).cloudFront).toBe(false);
  });

  it('refuses anything else, naming the key', () => {
    expect(() => read('yes')).toThrow(/^context cloudFront: /);
  });
});
