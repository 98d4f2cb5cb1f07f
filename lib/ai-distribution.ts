import { Duration, Fn, Validations } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  ViewerProtocolPolicy,
  type BehaviorOptions,
} from 'aws-cdk-lib/aws-cloudfront';
import { FunctionUrlOrigin, HttpOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import type { FunctionUrl } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface AiDistributionProps {
  /** Every `/ai/*` route but the stream. */
  api: HttpApi;
  /** The chat stream (`/ai/chat/send`). */
  streamUrl: FunctionUrl;
}

/** The path the page posts a chat to; everything else under `/ai/` is the REST API. */
export const STREAM_PATH = '/ai/chat/send';

/**
 * How long CloudFront waits for the stream's next bytes. Longer than the run's own idle
 * limit (UPSTREAM_IDLE_TIMEOUT_MS, 60 s by default), so a silent model ends with the
 * run's error line rather than a cut connection; 120 s is the quota's default maximum.
 */
export const STREAM_READ_TIMEOUT = Duration.seconds(120);

/** `https://host/...` → `host`, for an origin given as a URL token. */
const hostOf = (url: string) => Fn.select(2, Fn.split('/', url));

/**
 * One HTTPS address for everything under `/ai/`: the stream to the function URL, the
 * rest to the HTTP API, so RuoYi's nginx needs one `location` block. It passes requests
 * through as they are and keeps nothing: no caching (so `Authorization` may pass to the
 * origins), every viewer header but Host (each origin needs its own), all methods, bodies,
 * query strings; no compression, which would hold back stream lines.
 *
 * The function URL keeps auth type NONE rather than Origin Access Control: OAC signs
 * the origin request with SigV4 in the `Authorization` header, which is where the page's
 * bearer token travels (CloudFront either replaces it or, told not to, sends the request
 * unsigned, which IAM auth refuses), and a signed POST needs the body's hash from the
 * browser (`x-amz-content-sha256`), which RuoYi's page does not send. The handler verifies
 * the token before anything else, as it does when called directly.
 */
export class AiDistribution extends Construct {
  readonly distribution: Distribution;

  constructor(scope: Construct, id: string, props: AiDistributionProps) {
    super(scope, id);
    const passThrough: Omit<BehaviorOptions, 'origin'> = {
      viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: AllowedMethods.ALLOW_ALL,
      cachePolicy: CachePolicy.CACHING_DISABLED,
      originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      compress: false,
    };
    const api = new HttpOrigin(hostOf(props.api.apiEndpoint), {
      protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [OriginSslPolicy.TLS_V1_2],
    });
    const stream = new FunctionUrlOrigin(props.streamUrl, { readTimeout: STREAM_READ_TIMEOUT });
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'AI chat: /ai/chat/send to the stream function URL, every other path to the HTTP API',
      httpVersion: HttpVersion.HTTP2_AND_3,
      // The API answers unknown paths with the contract's 404 envelope.
      defaultBehavior: { origin: api, ...passThrough },
      additionalBehaviors: { [STREAM_PATH]: { origin: stream, ...passThrough } },
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR3',
        reason:
          "Nothing is cached, so every request reaches an origin that logs it: the HTTP API access log and the stream function's own log, with the request id.",
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          "The address is for a reverse proxy (RuoYi's nginx, TLS 1.2+), not browsers; the default *.cloudfront.net certificate allows no minimum protocol setting, and no custom domain is configured.",
      },
      {
        id: 'AwsSolutions-CFR1',
        reason: "Who may chat is decided by RuoYi's tokens and permissions, not by country.",
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'Every request carries a verified bearer token; the HTTP API throttles its stage and the stream limits sends per user. A WAF web ACL can be attached later without changing the routes.',
      },
    );
  }

  /** What RuoYi's nginx proxies `/<prefix>/ai/` to. */
  get aiBaseUrl(): string {
    return `https://${this.distribution.distributionDomainName}/ai/`;
  }
}
