import type * as z from 'zod/mini';
import type { Identity } from '../core/auth/identity.ts';
import { requirePermission } from '../core/auth/identity.ts';
import { errorEnvelope, fail, ok, type Envelope } from '../core/wire/envelope.ts';
import { auditOperation } from '../core/audit/write.ts';
import type { AuditSpec } from '../core/audit/operation.ts';
import type { Runtime } from '../core/runtime.ts';
import { parseFormBody, parseInput, parseJsonBody } from '../core/validation/parse.ts';
import { REFUSAL_MSG } from '../core/wire/messages.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** A REST request, free of the API Gateway event shape. */
export interface ApiRequest {
  method: string;
  path: string;
  headers: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  body: string | undefined;
  /** The address that connected (API Gateway's `sourceIp`). */
  sourceIp?: string;
}

/** A request past authentication, its parts parsed with the route's schemas. */
export interface RouteContext<Params, Query, Body> {
  identity: Identity;
  runtime: Runtime;
  params: Params;
  query: Query;
  body: Body;
  /** Names the item an audited route works on (model ids, a session), for its audit record; nothing otherwise. */
  auditItem(id: string | number): void;
}

type RawParams = Record<string, string>;

/**
 * One REST route. Its schemas parse the request before `handle` runs (a failure is a 601
 * naming the field) and are what the OpenAPI document (openapi/) describes the request with.
 */
export interface Route<Params = RawParams, Query = undefined, Body = undefined> {
  method: Method;
  /** Contract path; `{name}` segments become `params.name`. */
  path: string;
  summary: string;
  /** Permission the caller must hold; absent: any authenticated caller. */
  permission?: string;
  params?: z.ZodMiniType<Params>;
  query?: z.ZodMiniType<Query>;
  body?: z.ZodMiniType<Body>;
  /**
   * The body may come as a form (`application/x-www-form-urlencoded`), as RuoYi's
   * `proxy.download` posts an export's filters; JSON is taken too.
   */
  formBody?: boolean;
  /** Audited as RuoYi's `@Log` logs it: once past authentication, permission and parsing, whatever the outcome. */
  audit?: AuditSpec;
  handle(ctx: RouteContext<Params, Query, Body>): Promise<Envelope | FileReply>;
}

/** A download instead of the envelope (an export); a refusal is still the envelope. */
export interface FileReply {
  kind: 'file';
  contentType: string;
  fileName: string;
  body: string;
}

export const isFileReply = (answer: Envelope | FileReply): answer is FileReply => (answer as FileReply).kind === 'file';

/** A route of the table, whatever its parts parse to. */
// biome-ignore lint/suspicious/noExplicitAny: the table holds routes whose parts parse to different types; `route()` checks each
export type AnyRoute = Route<any, any, any>;

/** Keeps a route's parsed types checked against its handler, then files it in the table. */
export const route = <Params = RawParams, Query = undefined, Body = undefined>(r: Route<Params, Query, Body>): AnyRoute => r;

export interface Dispatched {
  status: number;
  envelope: Envelope;
  /** Set when the route answered with a file; `envelope` is then the success it stands for. */
  file?: FileReply;
  identity?: Identity;
}

const isForm = (headers: ApiRequest['headers']) => /^application\/x-www-form-urlencoded\b/i.test(headers['content-type'] ?? '');

const matchPath = (pattern: string, path: string): Record<string, string> | undefined => {
  const want = pattern.split('/');
  const got = path.replace(/\/+$/, '').split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    if (w.startsWith('{')) {
      let value: string;
      try {
        value = decodeURIComponent(got[i]!);
      } catch {
        return undefined;
      }
      if (!value) return undefined;
      params[w.slice(1, -1)] = value;
    } else if (w !== got[i]) return undefined;
  }
  return params;
};

/**
 * Finds the route, authenticates, checks the permission and runs it. Every outcome,
 * failures included, is an envelope; `onUnexpected` gets what only the log may see.
 */
export const dispatch = async (
  routes: readonly AnyRoute[],
  req: ApiRequest,
  runtime: Runtime,
  onUnexpected: (err: unknown) => void,
  onIdentity: (identity: Identity) => void = () => {},
): Promise<Dispatched> => {
  let params: RawParams | undefined;
  const route = routes.find((r) => {
    if (r.method !== req.method) return false;
    params = matchPath(r.path, req.path);
    return params !== undefined;
  });
  if (!route || !params) return { status: 404, envelope: fail(404, REFUSAL_MSG.notFound) };
  let ctx: RouteContext<unknown, unknown, unknown>;
  let itemId: string | undefined;
  try {
    const identity = await runtime.verifyToken(req.headers.authorization);
    onIdentity(identity);
    if (route.permission) requirePermission(identity, route.permission);
    ctx = {
      identity,
      runtime,
      params: route.params ? parseInput(route.params, params) : params,
      query: route.query ? parseInput(route.query, req.query) : undefined,
      body: route.body ? (route.formBody && isForm(req.headers) ? parseFormBody : parseJsonBody)(route.body, req.body) : undefined,
      auditItem: (id) => {
        itemId = String(id);
      },
    };
  } catch (err) {
    return { status: 200, envelope: errorEnvelope(err, onUnexpected) };
  }
  const startedAt = Date.now();
  const answer = await route.handle(ctx).catch((err: unknown) => errorEnvelope(err, onUnexpected));
  const file = isFileReply(answer) ? answer : undefined;
  const envelope = file ? ok() : (answer as Envelope);
  if (route.audit) {
    await auditOperation(runtime, {
      spec: route.audit,
      request: {
        method: req.method,
        path: req.path,
        params,
        query: req.query,
        body: req.body,
        sourceIp: req.sourceIp,
        userAgent: req.headers['user-agent'],
        forwardedFor: req.headers['x-forwarded-for'],
      },
      identity: ctx.identity,
      itemId,
      envelope,
      startedAt,
      finishedAt: Date.now(),
    });
  }
  return { status: 200, envelope, ...(file ? { file } : {}), identity: ctx.identity };
};
