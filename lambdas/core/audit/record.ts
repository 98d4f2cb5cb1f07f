import type { Identity } from '../auth/identity.ts';
import type { Envelope } from '../wire/envelope.ts';
import { AUDIT_MSG } from '../wire/messages.ts';
import { type AuditSpec, type AuditedRequest, type BusinessType, operatorType } from './operation.ts';
import { keptJson, MAX_KEPT_CHARS } from './sanitize.ts';

/** Text from outside kept in a record is bounded like RuoYi's columns. */
const MAX_URL_CHARS = 255;
const MAX_CLIENT_CHARS = 512;
const MAX_ADDRESS_CHARS = 128;

/** One audited operation as stored, its keys (`pk`, `operId`, `expiresAt`) set by the repository. */
export interface AuditRecord {
  /** When the operation started, epoch ms (RuoYi's `oper_time`, taken before the handler runs). */
  operAt: number;
  title: string;
  businessType: BusinessType;
  method: string;
  requestMethod: string;
  operatorType: 0 | 1 | 2;
  /** Who: the user's name (RuoYi's `oper_name`), id, department and its ancestors (for the list's data scope). */
  operName: string;
  userId: string;
  deptId?: string;
  deptName?: string;
  deptAncestors?: string[];
  operUrl: string;
  operIp: string;
  forwardedFor?: string;
  userAgent?: string;
  /** Which item: the model ids, session id or config id the operation named. */
  itemId?: string;
  /** The request without the API key or any other secret, as RuoYi's `oper_param`. */
  operParam: string;
  /** The answer's envelope, as RuoYi's `json_result`. */
  jsonResult: string;
  /** RuoYi's `status`: 0 the operation succeeded, 1 it was refused or failed. */
  status: 0 | 1;
  errorMsg?: string;
  /** Milliseconds the handler took. */
  costTime: number;
}

export interface AuditedOperation {
  spec: AuditSpec;
  request: AuditedRequest;
  identity: Identity;
  itemId?: string;
  envelope: Envelope;
  startedAt: number;
  finishedAt: number;
}

const bounded = (text: string | undefined, max: number) => (text ? text.slice(0, max) : undefined);

/** RuoYi's `_get_request_params`: path and query parameters when there are any, the JSON body (or the raw one). */
const requestParams = (request: AuditedRequest) => {
  const query = Object.fromEntries(Object.entries(request.query).filter(([, v]) => v !== undefined));
  let body: Record<string, unknown> = {};
  if (request.body) {
    try {
      body = { json_body: JSON.parse(request.body) as unknown };
    } catch {
      // One character past what is kept is enough to be replaced by the placeholder.
      body = { raw_body: request.body.slice(0, MAX_KEPT_CHARS + 1) };
    }
  }
  return {
    ...(Object.keys(request.params).length ? { path_params: request.params } : {}),
    ...(Object.keys(query).length ? { query_params: query } : {}),
    ...body,
  };
};

export const buildAuditRecord = ({ spec, request, identity, itemId, envelope, startedAt, finishedAt }: AuditedOperation): AuditRecord => {
  const failed = envelope.code !== 200;
  const { time: _time, ...result } = envelope;
  return {
    operAt: startedAt,
    title: spec.title,
    businessType: spec.businessType,
    method: spec.method,
    requestMethod: request.method,
    operatorType: operatorType(request.userAgent),
    operName: identity.userName ?? identity.userId,
    userId: identity.userId,
    deptId: identity.deptId,
    deptName: identity.deptName,
    deptAncestors: identity.deptAncestors.length ? identity.deptAncestors : undefined,
    operUrl: request.path.slice(0, MAX_URL_CHARS),
    operIp: (request.sourceIp ?? '').slice(0, MAX_ADDRESS_CHARS),
    forwardedFor: bounded(request.forwardedFor, MAX_CLIENT_CHARS),
    userAgent: bounded(request.userAgent, MAX_CLIENT_CHARS),
    itemId: bounded(itemId, MAX_URL_CHARS),
    operParam: keptJson(requestParams(request), AUDIT_MSG.paramTooLong),
    jsonResult: keptJson(result, AUDIT_MSG.resultTooLong),
    status: failed ? 1 : 0,
    errorMsg: failed ? envelope.msg : undefined,
    costTime: Math.max(0, Math.round(finishedAt - startedAt)),
  };
};
