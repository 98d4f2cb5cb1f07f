import type { LedgerRow } from './ledger-read.ts';
import { microsText } from './prices.ts';

/** Outcomes and sources as the export's readers read them. */
const OUTCOME_LABEL: Record<LedgerRow['outcome'], string> = { completed: '完成', cancelled: '已停止', failed: '失败' };
const SOURCE_LABEL: Record<LedgerRow['source'], string> = { provider: '服务商', estimated: '估算' };

const COLUMNS: [string, (row: LedgerRow) => string | number | null][] = [
  ['运行ID', (r) => r.runId],
  ['会话ID', (r) => r.sessionId],
  ['开始时间', (r) => r.startTime.replace('T', ' ')],
  ['结束时间', (r) => r.endTime.replace('T', ' ')],
  ['用户ID', (r) => r.userId],
  ['用户名', (r) => r.userName],
  ['部门ID', (r) => r.deptId],
  ['模型ID', (r) => r.modelId],
  ['模型编码', (r) => r.modelCode],
  ['模型名称', (r) => r.modelName],
  ['提供商', (r) => r.provider],
  ['结果', (r) => OUTCOME_LABEL[r.outcome]],
  ['来源', (r) => (r.estimate ? `${SOURCE_LABEL[r.source]}（${r.estimate}）` : SOURCE_LABEL[r.source])],
  ['输入Token', (r) => r.inputTokens],
  ['输出Token', (r) => r.outputTokens],
  ['推理Token', (r) => r.reasoningTokens],
  ['缓存Token', (r) => r.cachedTokens],
  ['合计Token', (r) => r.totalTokens],
  ['币种', (r) => r.currency],
  ['费用', (r) => (r.currency ? microsText(r.costMicros) : '')],
];

/**
 * A CSV cell: quoted when it holds a separator, quote or line break; text a spreadsheet
 * would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) is prefixed with `'`.
 */
const cell = (value: string | number | null): string => {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/** The ledger as CSV (RFC 4180, CRLF), with a byte order mark so spreadsheet programs read it as UTF-8. */
export const ledgerCsv = (rows: LedgerRow[]): string => {
  const lines = [COLUMNS.map(([title]) => title).join(','), ...rows.map((row) => COLUMNS.map(([, value]) => cell(value(row))).join(','))];
  return `\uFEFF${lines.join('\r\n')}\r\n`;
};
