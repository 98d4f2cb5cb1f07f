/**
 * What RuoYi's `@Log` decorator says about a route, and the request as the audit trail
 * sees it (no Lambda event types).
 */

/** RuoYi's `BusinessType` (common/enums.py), the `sys_oper_type` dictionary its pages label with. */
export const BUSINESS_TYPE = {
  other: 0,
  insert: 1,
  update: 2,
  delete: 3,
  grant: 4,
  export: 5,
  import: 6,
  force: 7,
  gencode: 8,
  clean: 9,
} as const;

export type BusinessType = (typeof BUSINESS_TYPE)[keyof typeof BUSINESS_TYPE];

/** An audited route: RuoYi's module title, business type and the handler's name (`method`). */
export interface AuditSpec {
  title: string;
  businessType: BusinessType;
  method: string;
}

/** The parts of a request the record keeps. */
export interface AuditedRequest {
  method: string;
  path: string;
  /** The path's `{name}` segments as matched. */
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  /** The body as sent (JSON text, parsed again for the record). */
  body: string | undefined;
  /** The address that connected to the API (behind a proxy, the proxy's). */
  sourceIp?: string;
  userAgent?: string;
  /** `X-Forwarded-For` as the proxies (or the client) wrote it: kept, never trusted. */
  forwardedFor?: string;
}

/**
 * RuoYi's `operator_type`: a substring test on the User-Agent, 0 other, 1 back-office user
 * (a desktop system), 2 mobile user (checked last, so an Android phone is 2).
 */
export const operatorType = (userAgent: string | undefined): 0 | 1 | 2 => {
  const ua = userAgent ?? '';
  if (/Mobile|Android|iPhone/.test(ua)) return 2;
  return /Windows|Macintosh|Linux/.test(ua) ? 1 : 0;
};
