import { listAuditRecords } from '../../core/audit/list.ts';
import { auditListQuerySchema } from '../../core/audit/schema.ts';
import { okPage } from '../../core/wire/envelope.ts';
import { route, type AnyRoute } from '../router.ts';

/** The permission of the audit list, beside RuoYi's `monitor:operlog:list` (admins hold it as they hold every one). */
export const AUDIT_PERMISSION = 'ai:audit:list';

/** `/ai/audit/*`: the audit trail of the AI module's operations, read-only. */
export const auditRoutes: readonly AnyRoute[] = [
  route({
    method: 'GET',
    path: '/ai/audit/list',
    summary: "Audit records of the AI module's operations in the caller's data scope, filtered, sorted and paged like RuoYi's operation log",
    permission: AUDIT_PERMISSION,
    query: auditListQuerySchema,
    handle: async ({ runtime, identity, query }) => okPage(await listAuditRecords(runtime, identity, query)),
  }),
];
