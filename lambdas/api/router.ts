import type { Identity } from '../core/auth/identity.ts';
import { requirePermission } from '../core/auth/identity.ts';
import { errorEnvelope, fail, type Envelope } from '../core/http/envelope.ts';
import type { Runtime } from '../core/runtime.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** A REST request, free of the API Gateway event shape. */
export interface ApiRequest {
  method: string;
  path: string;
  headers: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  body: string | undefined;
}

export interface RouteContext {
  identity: Identity;
  runtime: Runtime;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  body: string | undefined;
}

export interface Route {
  method: Method;
  /** Contract path; `{name}` segments become `params.name`. */
  path: string;
  /** Permission the caller must hold; absent: any authenticated caller. */
  permission?: string;
  handle(ctx: RouteContext): Promise<Envelope>;
}

export interface Dispatched {
  status: number;
  envelope: Envelope;
  identity?: Identity;
}

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
  routes: readonly Route[],
  req: ApiRequest,
  runtime: Runtime,
  onUnexpected: (err: unknown) => void,
  onIdentity: (identity: Identity) => void = () => {},
): Promise<Dispatched> => {
  let params: Record<string, string> | undefined;
  const route = routes.find((r) => r.method === req.method && (params = matchPath(r.path, req.path)));
  if (!route || !params) return { status: 404, envelope: fail(404, '请求的资源不存在') };
  try {
    const identity = await runtime.verifyToken(req.headers.authorization);
    onIdentity(identity);
    if (route.permission) requirePermission(identity, route.permission);
    const envelope = await route.handle({ identity, runtime, params, query: req.query, body: req.body });
    return { status: 200, envelope, identity };
  } catch (err) {
    return { status: 200, envelope: errorEnvelope(err, onUnexpected) };
  }
};
