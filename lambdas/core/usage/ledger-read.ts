import type * as z from 'zod/mini';
import { inDataScope } from '../auth/data-scope.ts';
import type { Identity } from '../auth/identity.ts';
import { ServiceError } from '../errors/service-error.ts';
import type { Runtime } from '../runtime.ts';
import { wireTime } from '../time.ts';
import { publicUserId } from '../wire/public-user-id.ts';
import type { ledgerRowSchema } from '../wire/responses.ts';
import { readPartitions } from './counter-read.ts';
import { ledgerPartition } from './keys.ts';
import type { LedgerEntry } from './ledger-entry.ts';
import { daysBetween } from './periods.ts';
import { toPublicPrice } from './prices.ts';
import type { LedgerFilter } from './query-schema.ts';
import { dayRange } from './range.ts';

type Deps = Pick<Runtime, 'db' | 'tables'>;
export type LedgerRow = z.output<typeof ledgerRowSchema>;

/** The ledger reads whole days: at most this many, the last week unless told. */
const MAX_DAYS = 92;
const DEFAULT_DAYS = 7;
/**
 * Entries one request reads at most before filtering (about 1 KB each): past it the caller
 * is asked for a shorter range rather than the function running out of time or memory.
 */
export const MAX_LEDGER_READ = 50_000;

const matches = (identity: Identity, filter: LedgerFilter) => (entry: LedgerEntry) =>
  inDataScope(identity, entry) &&
  (!filter.userId || entry.userId === filter.userId) &&
  (!filter.deptId || entry.deptId === filter.deptId || entry.deptAncestors.includes(filter.deptId)) &&
  (!filter.modelId || String(entry.modelId) === filter.modelId) &&
  (!filter.outcome || entry.outcome === filter.outcome) &&
  (!filter.source || entry.source === filter.source);

/**
 * The runs of a range of days that match the filters and the caller's data scope, newest
 * first: each day's partition read newest first, the days newest first.
 */
export const readLedger = async (deps: Deps, identity: Identity, filter: LedgerFilter, now = Date.now()): Promise<LedgerEntry[]> => {
  const { first, last } = dayRange(filter, { days: DEFAULT_DAYS, maxDays: MAX_DAYS }, now);
  const partitions = daysBetween(first, last).reverse().map(ledgerPartition);
  const items = await readPartitions(deps, partitions, true);
  if (items.length > MAX_LEDGER_READ) throw ServiceError.invalid(`所选时间范围内的记录超过${MAX_LEDGER_READ}条，请缩小时间范围`);
  return (items as unknown as LedgerEntry[]).filter(matches(identity, filter));
};

export const toLedgerRow = (entry: LedgerEntry): LedgerRow => ({
  runId: entry.runId,
  sessionId: entry.sessionId,
  userId: publicUserId(entry.userId),
  userName: entry.userName ?? null,
  deptId: entry.deptId ? publicUserId(entry.deptId) : null,
  deptAncestors: entry.deptAncestors,
  modelId: entry.modelId,
  modelCode: entry.modelCode,
  modelName: entry.modelName,
  provider: entry.provider,
  outcome: entry.outcome,
  source: entry.source,
  estimate: entry.estimate ?? null,
  provenance: entry.provenance ?? null,
  inputTokens: entry.inputTokens,
  outputTokens: entry.outputTokens,
  reasoningTokens: entry.reasoningTokens,
  cachedTokens: entry.cachedTokens,
  totalTokens: entry.totalTokens,
  price: entry.price ? toPublicPrice(entry.price) : null,
  currency: entry.price?.currency ?? null,
  costMicros: entry.costMicros,
  startTime: wireTime(entry.startedAt),
  endTime: wireTime(entry.finishedAt),
});
