import { CHAT_PERMISSION } from '../../core/auth/identity.ts';
import { ledgerCsv } from '../../core/usage/ledger-csv.ts';
import { readLedger, toLedgerRow } from '../../core/usage/ledger-read.ts';
import { myUsage } from '../../core/usage/my-usage.ts';
import { ledgerExportSchema, ledgerQuerySchema, usageSummaryQuerySchema } from '../../core/usage/query-schema.ts';
import { usageSummary } from '../../core/usage/summary.ts';

import { wireNow } from '../../core/time.ts';
import { ok, okPage, pageOf } from '../../core/wire/envelope.ts';
import { route, type AnyRoute } from '../router.ts';
import { AUDIT_MSG } from '../../core/wire/messages.ts';
import { BUSINESS_TYPE } from '../../core/audit/operation.ts';

export const USAGE_PERMISSION = { list: 'ai:usage:list', export: 'ai:usage:export' } as const;

/** `/ai/usage/*`: who used what (summaries and the run ledger, in the caller's data scope), and each user's own use. */
export const usageRoutes: readonly AnyRoute[] = [
  route({
    method: 'GET',
    path: '/ai/usage/summary',
    summary: "Usage summed by user, department (with its tree), model or day over a range of days, in the caller's data scope",
    permission: USAGE_PERMISSION.list,
    query: usageSummaryQuerySchema,
    handle: async ({ runtime, identity, query }) => ok(await usageSummary(runtime, identity, query)),
  }),
  route({
    method: 'GET',
    path: '/ai/usage/list',
    summary: "The run ledger, newest first, paged, in the caller's data scope",
    permission: USAGE_PERMISSION.list,
    query: ledgerQuerySchema,
    handle: async ({ runtime, identity, query }) => {
      const page = pageOf(await readLedger(runtime, identity, query), query);
      return okPage({ ...page, rows: page.rows.map(toLedgerRow) });
    },
  }),
  route({
    method: 'POST',
    path: '/ai/usage/export',
    summary: "The run ledger's matching runs as CSV (the list's filters, as a form or JSON)",
    permission: USAGE_PERMISSION.export,
    body: ledgerExportSchema,
    formBody: true,
    audit: { title: AUDIT_MSG.usageTitle, businessType: BUSINESS_TYPE.export, method: 'usage.exportLedger()' },
    handle: async ({ runtime, identity, body }) => ({
      kind: 'file',
      contentType: 'text/csv; charset=utf-8',
      fileName: `ai_usage_${wireNow().replace(/\D/g, '')}.csv`,
      body: ledgerCsv((await readLedger(runtime, identity, body)).map(toLedgerRow)),
    }),
  }),
  route({
    method: 'GET',
    path: '/ai/usage/my',
    summary: "The caller's own use today and this month, and the quotas that apply to them",
    permission: CHAT_PERMISSION,
    handle: async ({ runtime, identity }) => ok(await myUsage(runtime, identity)),
  }),
];
