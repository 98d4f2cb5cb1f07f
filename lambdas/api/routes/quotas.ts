import * as z from 'zod/mini';
import { addQuota, editQuota, listQuotas, parseQuotaIds, quotaDetail, removeQuotas } from '../../core/quotas/service.ts';
import { quotaInputSchema, quotaListQuerySchema, quotaUpdateSchema } from '../../core/quotas/schema.ts';
import { ok, okPage } from '../../core/wire/envelope.ts';
import { AUDIT_MSG, OK_MSG } from '../../core/wire/messages.ts';
import { BUSINESS_TYPE } from '../../core/audit/operation.ts';
import { route, type AnyRoute } from '../router.ts';

export const QUOTA_PERMISSION = {
  list: 'ai:quota:list',
  query: 'ai:quota:query',
  add: 'ai:quota:add',
  edit: 'ai:quota:edit',
  remove: 'ai:quota:remove',
} as const;

const QUOTA_ID_ERROR = 'quotaId: 必须是正整数';
const quotaParams = z.object({
  quotaId: z.coerce.number({ error: QUOTA_ID_ERROR }).check(z.int(QUOTA_ID_ERROR), z.positive(QUOTA_ID_ERROR), z.maximum(9_999_999_999, QUOTA_ID_ERROR)),
});

/** `/ai/quota/*`: the quota editor's CRUD, RuoYi's way (list, detail, add, edit, batch delete). */
export const quotaRoutes: readonly AnyRoute[] = [
  route({
    method: 'GET',
    path: '/ai/quota/list',
    summary: 'Quotas, paged, in id order',
    permission: QUOTA_PERMISSION.list,
    query: quotaListQuerySchema,
    handle: async ({ runtime, query }) => okPage(await listQuotas(runtime, query)),
  }),
  route({
    method: 'GET',
    path: '/ai/quota/{quotaId}',
    summary: 'One quota (an empty object when there is none)',
    permission: QUOTA_PERMISSION.query,
    params: quotaParams,
    handle: async ({ runtime, params }) => ok(await quotaDetail(runtime, params.quotaId)),
  }),
  route({
    method: 'POST',
    path: '/ai/quota',
    summary: 'Adds a quota',
    permission: QUOTA_PERMISSION.add,
    body: quotaInputSchema,
    audit: { title: AUDIT_MSG.quotaTitle, businessType: BUSINESS_TYPE.insert, method: 'quotas.addQuota()' },
    handle: async ({ runtime, identity, body, auditItem }) => {
      auditItem(await addQuota(runtime, identity, body));
      return ok(undefined, OK_MSG.added);
    },
  }),
  route({
    method: 'PUT',
    path: '/ai/quota',
    summary: 'Updates a quota',
    permission: QUOTA_PERMISSION.edit,
    body: quotaUpdateSchema,
    audit: { title: AUDIT_MSG.quotaTitle, businessType: BUSINESS_TYPE.update, method: 'quotas.editQuota()' },
    handle: async ({ runtime, identity, body, auditItem }) => {
      auditItem(body.quotaId);
      await editQuota(runtime, identity, body);
      return ok(undefined, OK_MSG.updated);
    },
  }),
  route({
    method: 'DELETE',
    path: '/ai/quota/{ids}',
    summary: 'Deletes quotas by comma-separated ids',
    permission: QUOTA_PERMISSION.remove,
    audit: { title: AUDIT_MSG.quotaTitle, businessType: BUSINESS_TYPE.delete, method: 'quotas.removeQuotas()' },
    handle: async ({ runtime, params, auditItem }) => {
      auditItem(params.ids ?? '');
      await removeQuotas(runtime, parseQuotaIds(params.ids ?? ''));
      return ok(undefined, OK_MSG.deleted);
    },
  }),
];
