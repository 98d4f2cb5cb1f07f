import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { ApiRequest } from './router.ts';

/** Reads an HTTP API (payload 2.0) event into the router's request. */
export const requestFromEvent = (event: APIGatewayProxyEventV2): ApiRequest => {
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) headers[k.toLowerCase()] = v;
  const body = event.body && event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: event.rawPath,
    headers,
    query: event.queryStringParameters ?? {},
    body: body ?? undefined,
    sourceIp: event.requestContext.http.sourceIp,
  };
};
