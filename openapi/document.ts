import * as z from 'zod/mini';
import type { AnyRoute } from '../lambdas/api/router.ts';
import { routes as apiRoutes } from '../lambdas/api/routes/index.ts';
import { chatRequestSchema } from '../lambdas/core/chat/1-accept/request-schema.ts';
import { uploadTicketSchema } from '../lambdas/core/wire/types.ts';
import {
  auditRowSchema,
  chatConfigSchema,
  envelopeSchema,
  ledgerRowSchema,
  modelSchema,
  myUsageSchema,
  modelTestResultSchema,
  pageEnvelopeSchema,
  quotaSchema,
  sessionDetailSchema,
  sessionListItemSchema,
  usageSummarySchema,
} from '../lambdas/core/wire/responses.ts';
import { streamLineSchemas } from '../lambdas/core/wire/stream-lines.ts';

/**
 * The service's OpenAPI 3.1 document, generated from the REST route table (its request
 * schemas are the ones the routes parse with), the response schemas of lambdas/core/wire
 * and the chat stream's request and line schemas. Built by `npm run openapi` into
 * openapi.json and served by the local stack at /openapi.json; never by a Lambda.
 */

/** What each REST route answers on success: `data`, a page of `rows`, only the envelope, or a file of a media type. */
export type RouteAnswer = { data: z.ZodMiniType } | { page: z.ZodMiniType } | { envelope: true } | { file: string };

export const ROUTE_ANSWERS: Record<string, RouteAnswer> = {
  'GET /ai/chat/config': { data: chatConfigSchema },
  'PUT /ai/chat/config': { envelope: true },
  'GET /ai/chat/session/list': { data: z.array(sessionListItemSchema) },
  'GET /ai/chat/session/{sessionId}': { data: sessionDetailSchema },
  'DELETE /ai/chat/session/{sessionId}': { envelope: true },
  'POST /ai/chat/cancel': { envelope: true },
  'POST /ai/chat/upload': { data: uploadTicketSchema },
  'GET /ai/model/list': { page: modelSchema },
  'GET /ai/model/all': { data: z.array(modelSchema) },
  'GET /ai/model/{modelId}': { data: z.union([modelSchema, z.strictObject({})]) },
  'POST /ai/model': { envelope: true },
  'PUT /ai/model': { envelope: true },
  'POST /ai/model/test': { data: modelTestResultSchema },
  'DELETE /ai/model/{ids}': { envelope: true },
  'GET /ai/usage/summary': { data: usageSummarySchema },
  'GET /ai/usage/list': { page: ledgerRowSchema },
  'POST /ai/usage/export': { file: 'text/csv' },
  'GET /ai/usage/my': { data: myUsageSchema },
  'GET /ai/quota/list': { page: quotaSchema },
  'GET /ai/quota/{quotaId}': { data: z.union([quotaSchema, z.strictObject({})]) },
  'POST /ai/quota': { envelope: true },
  'PUT /ai/quota': { envelope: true },
  'DELETE /ai/quota/{ids}': { envelope: true },
  'GET /ai/audit/list': { page: auditRowSchema },
};

export const routeKey = (route: Pick<AnyRoute, 'method' | 'path'>) => `${route.method} ${route.path}`;

/** A success envelope with `data` of the given shape (or none). */
export const successSchema = (data?: z.ZodMiniType) =>
  z.extend(envelopeSchema, { code: z.literal(200), success: z.literal(true), data: data ?? z.optional(z.never()) });

/** A refusal: HTTP 200 (404 for an unknown route) with the outcome in `code` and the reason in `msg`. */
export const failureSchema = z.extend(envelopeSchema, { success: z.literal(false), data: z.optional(z.never()) });

/** Schema of the success envelope a route gives, as its entry in ROUTE_ANSWERS says (a file route's is its refusal only). */
export const answerSchema = (answer: RouteAnswer): z.ZodMiniType =>
  'page' in answer ? pageEnvelopeSchema(answer.page) : successSchema('data' in answer ? answer.data : undefined);

const FILE_BODY = { type: 'string', description: 'the file (its name in Content-Disposition)' };

/** The stream's path on the function URL as the page calls it (POST / answers the same). */
export const STREAM_PATH = '/ai/chat/send';

const jsonSchema = (schema: z.ZodMiniType, io: 'input' | 'output') => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

const failureJson = () => ({
  ...jsonSchema(failureSchema, 'output'),
  description: 'A refusal: HTTP 200 with the outcome in `code` (401, 403, 429, 500, 601) and the reason in `msg`',
});

const pathParams = (route: AnyRoute) => {
  const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const shape = route.params ? (jsonSchema(route.params, 'input').properties as Record<string, unknown>) : {};
  return names.map((name) => ({ name, in: 'path', required: true, schema: shape[name] ?? { type: 'string' } }));
};

const queryParams = (route: AnyRoute) => {
  if (!route.query) return [];
  const schema = jsonSchema(route.query, 'input') as { properties: Record<string, unknown>; required?: string[] };
  return Object.entries(schema.properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: schema.required?.includes(name) ?? false,
    schema: property,
  }));
};

const restOperation = (route: AnyRoute) => {
  const answer = ROUTE_ANSWERS[routeKey(route)];
  if (!answer) throw new Error(`openapi: no answer schema for ${routeKey(route)} (openapi/document.ts ROUTE_ANSWERS)`);
  const parameters = [...pathParams(route), ...queryParams(route)];
  const bodySchema = route.body && jsonSchema(route.body, 'input');
  const bodyTypes = route.formBody ? ['application/x-www-form-urlencoded', 'application/json'] : ['application/json'];
  return {
    summary: route.summary,
    'x-permission': route.permission ?? null,
    ...(parameters.length ? { parameters } : {}),
    ...(bodySchema ? { requestBody: { required: true, content: Object.fromEntries(bodyTypes.map((type) => [type, { schema: bodySchema }])) } } : {}),
    responses: {
      200:
        'file' in answer
          ? {
              description: 'The file, or a refusal as the envelope',
              content: { [answer.file]: { schema: FILE_BODY }, 'application/json': { schema: failureJson() } },
            }
          : {
              description: 'The envelope: the answer, or a refusal',
              content: { 'application/json': { schema: { oneOf: [jsonSchema(answerSchema(answer), 'output'), failureJson()] } } },
            },
      404: { description: 'No such route', content: { 'application/json': { schema: failureJson() } } },
    },
  };
};

const streamOperation = () => ({
  summary: 'Sends a message and streams the reply (the function URL; `POST /` answers the same)',
  'x-permission': 'ai:chat:list',
  requestBody: {
    required: true,
    content: {
      'application/json': {
        schema: {
          ...jsonSchema(chatRequestSchema(Number.MAX_SAFE_INTEGER), 'input'),
          description:
            '`message` is non-blank and at most MAX_MESSAGE_LENGTH characters (default 20000); `stream` and `temperature`, which the page sends, are ignored; `images` holds own image keys or RuoYi upload paths',
        },
      },
    },
  },
  responses: {
    200: {
      description:
        'Past every check: `text/event-stream` whose body is one JSON object per line (`\\n`-ended): `meta` first, `run_info` once the run can be cancelled, `reasoning`/`content` lines, then `metrics` or `error`. A refusal before streaming is the JSON envelope instead.',
      content: {
        'text/event-stream': { schema: { oneOf: Object.values(streamLineSchemas).map((line) => jsonSchema(line, 'output')) } },
        'application/json': { schema: failureJson() },
      },
    },
  },
});

/** The whole document for the given route table (the API's own by default). */
export const buildOpenApiDocument = (routes: readonly AnyRoute[] = apiRoutes) => {
  const keys = new Set(routes.map(routeKey));
  const stale = Object.keys(ROUTE_ANSWERS).filter((key) => !keys.has(key));
  if (stale.length) throw new Error(`openapi: answers for routes that do not exist: ${stale.join(', ')}`);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: restOperation(route) };
  paths[STREAM_PATH] = { post: streamOperation() };
  return {
    openapi: '3.1.0',
    info: {
      title: 'AI chat service',
      version: '1',
      description:
        "Serverless port of the RuoYi-Vue3-FastAPI AI chat module. REST routes answer RuoYi's envelope with HTTP 200 and the outcome in `code`; times are local times of the configured zone without offset; `x-permission` names the permission a route needs (null: any signed-in caller).",
    },
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    paths,
  };
};
