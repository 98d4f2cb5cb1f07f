import { logger } from '../observability/logger.ts';
import { recordAuditWriteFailure } from '../observability/metrics.ts';
import type { Runtime } from '../runtime.ts';
import { type AuditedOperation, buildAuditRecord } from './record.ts';
import { appendAuditRecord } from './repository.ts';

type Deps = Pick<Runtime, 'db' | 'tables' | 'settings'>;

/**
 * Keeps one audited operation: appended to the audit table and written as one structured
 * log line, so the log holds a second copy the functions can only add to. The operation
 * has happened whatever this does, so a failed write does not change its answer: the
 * line says the record is missing, with the record, and the alarm on
 * `AuditWriteFailures` fires. The record carries no key and no secret (sanitize.ts);
 * the line leaves out only the department ancestors, which are there for the list's scope.
 */
export const auditOperation = async (deps: Deps, operation: AuditedOperation): Promise<void> => {
  const record = buildAuditRecord(operation);
  const { deptAncestors: _ancestors, ...line } = record;
  try {
    const operId = await appendAuditRecord(deps, record, deps.settings.AUDIT_RETENTION_DAYS);
    logger.info('operation audited', { audit: { operId, ...line } });
  } catch (err) {
    recordAuditWriteFailure();
    logger.error('audit record not written', { audit: line, errorName: (err as Error)?.name });
  }
};
