import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { localContext } from '../../local/lambda-context.ts';

export interface ApiCall {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  authorization?: string;
  query?: Record<string, string>;
  /** An object is sent as JSON; a string is sent as it is (malformed bodies). */
  body?: unknown;
  headers?: Record<string, string>;
}

/** The HTTP API (payload 2.0) event API Gateway would deliver for this call. */
export const httpApiEvent = (call: ApiCall): APIGatewayProxyEventV2 => {
  const rawQueryString = new URLSearchParams(call.query ?? {}).toString();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: call.path,
    rawQueryString,
    headers: {
      'content-type': 'application/json',
      ...(call.authorization ? { authorization: call.authorization } : {}),
      ...call.headers,
    },
    queryStringParameters: call.query,
    requestContext: {
      accountId: 'test',
      apiId: 'test',
      domainName: 'test',
      domainPrefix: 'test',
      http: { method: call.method, path: call.path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    body: call.body === undefined ? undefined : typeof call.body === 'string' ? call.body : JSON.stringify(call.body),
    isBase64Encoded: false,
  };
};

type ApiHandler = (event: APIGatewayProxyEventV2, context: ReturnType<typeof localContext>) => Promise<APIGatewayProxyStructuredResultV2>;

/** Calls the real api handler (imported after the test set process.env) and parses the envelope (a file's `json` is null; `body` holds it). */
export const callApi = async (handler: ApiHandler, call: ApiCall) => {
  const out = await handler(httpApiEvent(call), localContext('api', 30_000));
  const isJson = String(out.headers?.['content-type'] ?? '').startsWith('application/json');
  return { status: out.statusCode, headers: out.headers, body: out.body ?? '', json: (isJson ? JSON.parse(out.body ?? 'null') : null) as Record<string, any> };
};

/** Loads the api handler with the given environment in place (one runtime per test file). */
export const loadApiHandler = async (env: Record<string, string>) => {
  Object.assign(process.env, env);
  const { handler } = await import('../../lambdas/api/handler.ts');
  return (call: ApiCall) => callApi(handler as unknown as ApiHandler, call);
};
