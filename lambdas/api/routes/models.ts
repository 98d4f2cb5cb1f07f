import * as z from 'zod/mini';
import { ok, okPage } from '../../core/wire/envelope.ts';
import { modelInputSchema, modelListQuerySchema, modelTestSchema, modelUpdateSchema } from '../../core/models/schema.ts';
import { addModel, editModel, enabledModels, listModels, modelDetail, parseModelIds, removeModels } from '../../core/models/service.ts';
import { route, type AnyRoute } from '../router.ts';
import { AUDIT_MSG, OK_MSG } from '../../core/wire/messages.ts';
import { BUSINESS_TYPE } from '../../core/audit/operation.ts';
import { logger } from '../../core/observability/logger.ts';
import type { Runtime } from '../../core/runtime.ts';

const MODEL_ID_ERROR = 'modelId: 必须是正整数';
const modelParams = z.object({
  modelId: z.coerce
    .number({ error: MODEL_ID_ERROR })
    .check(z.int(MODEL_ID_ERROR), z.positive(MODEL_ID_ERROR), z.maximum(Number.MAX_SAFE_INTEGER, MODEL_ID_ERROR)),
});

/** Asks the stream function for a ready instance (core/warm-ahead.ts); the page's answer never waits on a failure, only on the bounded ask. */
const warmAhead = (runtime: Runtime) =>
  runtime.streamWarmer
    ?.nudge()
    .catch((err: unknown) => logger.warn('warm-ahead: the stream function was not asked to start an instance', { errorName: (err as Error)?.name }));

/** `/ai/model/*`: the admin pages' CRUD and the chat page's picker. */
export const modelRoutes: readonly AnyRoute[] = [
  route({
    method: 'GET',
    path: '/ai/model/list',
    summary: "Models in the caller's data scope, paged, ordered by modelSort",
    permission: 'ai:model:list',
    query: modelListQuerySchema,
    handle: async ({ runtime, identity, query }) => okPage(await listModels(runtime, identity, query)),
  }),
  route({
    method: 'GET',
    path: '/ai/model/all',
    summary: "Enabled models in the caller's data scope, ordered by modelSort (the chat page's picker)",
    // The chat page's first request: the stream function is asked for a ready instance meanwhile (core/warm-ahead.ts).
    handle: async ({ runtime, identity }) => {
      const [models] = await Promise.all([enabledModels(runtime, identity), warmAhead(runtime)]);
      return ok(models);
    },
  }),
  route({
    method: 'GET',
    path: '/ai/model/{modelId}',
    summary: 'One model (an empty object when there is none)',
    permission: 'ai:model:query',
    params: modelParams,
    handle: async ({ runtime, identity, params }) => ok(await modelDetail(runtime, identity, params.modelId)),
  }),
  route({
    method: 'POST',
    path: '/ai/model',
    summary: 'Adds a model',
    permission: 'ai:model:add',
    body: modelInputSchema,
    audit: { title: AUDIT_MSG.modelTitle, businessType: BUSINESS_TYPE.insert, method: 'models.addModel()' },
    handle: async ({ runtime, identity, body, auditItem }) => {
      auditItem(await addModel(runtime, identity, body));
      return ok(undefined, OK_MSG.added);
    },
  }),
  route({
    method: 'PUT',
    path: '/ai/model',
    summary: 'Updates a model (the masked key keeps the stored one)',
    permission: 'ai:model:edit',
    body: modelUpdateSchema,
    audit: { title: AUDIT_MSG.modelTitle, businessType: BUSINESS_TYPE.update, method: 'models.editModel()' },
    handle: async ({ runtime, identity, body, auditItem }) => {
      auditItem(body.modelId);
      await editModel(runtime, identity, body);
      return ok(undefined, OK_MSG.updated);
    },
  }),
  route({
    method: 'POST',
    path: '/ai/model/test',
    summary:
      "Tests a model's settings (the stored ones, or those of the form with a key typed for the test) with one minimal streamed request to its provider: the time to first text, or the error class and the provider's own reason",
    // Whoever may change a model may find out whether its settings work; the test uses its stored key.
    permission: 'ai:model:edit',
    body: modelTestSchema,
    audit: { title: AUDIT_MSG.modelTitle, businessType: BUSINESS_TYPE.other, method: 'models.testModel()' },
    handle: async ({ runtime, identity, body, auditItem }) => {
      auditItem(body.modelId);
      // Loaded on first use, as the stream loads it: the provider client stays off the api's cold start.
      const { testModel } = await import('../../core/models/model-test.ts');
      return ok(await testModel(runtime, identity, body));
    },
  }),
  route({
    method: 'DELETE',
    path: '/ai/model/{ids}',
    summary: 'Deletes models by comma-separated ids',
    permission: 'ai:model:remove',
    audit: { title: AUDIT_MSG.modelTitle, businessType: BUSINESS_TYPE.delete, method: 'models.removeModels()' },
    handle: async ({ runtime, identity, params, auditItem }) => {
      auditItem(params.ids ?? '');
      await removeModels(runtime, identity, parseModelIds(params.ids ?? ''));
      return ok(undefined, OK_MSG.deleted);
    },
  }),
];
