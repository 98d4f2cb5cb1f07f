import * as z from 'zod/mini';
import { ok, okPage } from '../../core/wire/envelope.ts';
import { modelInputSchema, modelListQuerySchema, modelUpdateSchema } from '../../core/models/schema.ts';
import { addModel, editModel, enabledModels, listModels, modelDetail, parseModelIds, removeModels } from '../../core/models/service.ts';
import { route, type AnyRoute } from '../router.ts';
import { OK_MSG } from '../../core/wire/messages.ts';

const MODEL_ID_ERROR = 'modelId: 必须是正整数';
const modelParams = z.object({
  modelId: z.coerce
    .number({ error: MODEL_ID_ERROR })
    .check(z.int(MODEL_ID_ERROR), z.positive(MODEL_ID_ERROR), z.maximum(Number.MAX_SAFE_INTEGER, MODEL_ID_ERROR)),
});

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
    handle: async ({ runtime, identity }) => ok(await enabledModels(runtime, identity)),
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
    handle: async ({ runtime, identity, body }) => {
      await addModel(runtime, identity, body);
      return ok(undefined, OK_MSG.added);
    },
  }),
  route({
    method: 'PUT',
    path: '/ai/model',
    summary: 'Updates a model (the masked key keeps the stored one)',
    permission: 'ai:model:edit',
    body: modelUpdateSchema,
    handle: async ({ runtime, identity, body }) => {
      await editModel(runtime, identity, body);
      return ok(undefined, OK_MSG.updated);
    },
  }),
  route({
    method: 'DELETE',
    path: '/ai/model/{ids}',
    summary: 'Deletes models by comma-separated ids',
    permission: 'ai:model:remove',
    handle: async ({ runtime, identity, params }) => {
      await removeModels(runtime, identity, parseModelIds(params.ids ?? ''));
      return ok(undefined, OK_MSG.deleted);
    },
  }),
];
