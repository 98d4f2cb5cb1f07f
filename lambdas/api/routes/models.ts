import * as z from 'zod/mini';
import { ok, okPage } from '../../core/http/envelope.ts';
import { modelInputSchema, modelListQuerySchema, modelUpdateSchema } from '../../core/models/schema.ts';
import {
  addModel,
  editModel,
  enabledModels,
  listModels,
  modelDetail,
  parseModelIds,
  removeModels,
} from '../../core/models/service.ts';
import { parseInput, parseJsonBody } from '../../core/validation/parse.ts';
import type { Route } from '../router.ts';

const MODEL_ID_ERROR = 'modelId: 必须是正整数';
const modelIdParam = z.coerce
  .number({ error: MODEL_ID_ERROR })
  .check(z.int(MODEL_ID_ERROR), z.positive(MODEL_ID_ERROR), z.maximum(Number.MAX_SAFE_INTEGER, MODEL_ID_ERROR));

/** `/ai/model/*`: the admin pages' CRUD and the chat page's picker. */
export const modelRoutes: readonly Route[] = [
  {
    method: 'GET',
    path: '/ai/model/list',
    permission: 'ai:model:list',
    handle: async ({ runtime, identity, query }) =>
      okPage(await listModels(runtime, identity, parseInput(modelListQuerySchema, query))),
  },
  {
    method: 'GET',
    path: '/ai/model/all',
    handle: async ({ runtime, identity }) => ok(await enabledModels(runtime, identity)),
  },
  {
    method: 'GET',
    path: '/ai/model/{modelId}',
    permission: 'ai:model:query',
    handle: async ({ runtime, identity, params }) =>
      ok(await modelDetail(runtime, identity, parseInput(modelIdParam, params.modelId))),
  },
  {
    method: 'POST',
    path: '/ai/model',
    permission: 'ai:model:add',
    handle: async ({ runtime, identity, body }) => {
      await addModel(runtime, identity, parseJsonBody(modelInputSchema, body));
      return ok(undefined, '新增成功');
    },
  },
  {
    method: 'PUT',
    path: '/ai/model',
    permission: 'ai:model:edit',
    handle: async ({ runtime, identity, body }) => {
      await editModel(runtime, identity, parseJsonBody(modelUpdateSchema, body));
      return ok(undefined, '修改成功');
    },
  },
  {
    method: 'DELETE',
    path: '/ai/model/{ids}',
    permission: 'ai:model:remove',
    handle: async ({ runtime, identity, params }) => {
      await removeModels(runtime, identity, parseModelIds(params.ids ?? ''));
      return ok(undefined, '删除成功');
    },
  },
];
