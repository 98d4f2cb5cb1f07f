import type { LocalRoute } from './server.ts';

export const OPENAPI_PATH = '/openapi.json';

/**
 * `GET /openapi.json`: the service's OpenAPI document, built from the routes and schemas
 * on first request (the generator never runs in a Lambda; openapi.json is its committed copy).
 */
export const createOpenApiRoute = (): LocalRoute => {
  let body: Promise<string> | undefined;
  return async (req, res, url) => {
    if (url.pathname !== OPENAPI_PATH || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    body ??= import('../openapi/document.ts').then(({ buildOpenApiDocument }) => JSON.stringify(buildOpenApiDocument()));
    const json = await body;
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'access-control-allow-origin': '*',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : json);
    return true;
  };
};
