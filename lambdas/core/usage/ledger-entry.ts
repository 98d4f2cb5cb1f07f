import type { Identity } from '../auth/identity.ts';
import type { StoredModel } from '../models/schema.ts';
import type { RunOutcome } from '../sessions/types.ts';
import type { ItemKey } from './keys.ts';
import { costMicros, priceAt, type StoredPrice } from './prices.ts';
import type { UsageSource } from '../llm/usage.ts';
import type { RunUsage, UsageEstimate, UsageOrigin } from './run-usage.ts';

/** What a run's send reserved on one counter against hard quotas (quotas/reservation.ts), settled by its final write. */
export interface Reservation {
  key: ItemKey;
  tokens: number;
  /** Millionths, by currency. */
  cost: Record<string, number>;
}

/**
 * The ledger's record of one run, as stored: who ran it (their department and its
 * ancestors as they were then), on which model, how it ended, what it used and where
 * those numbers came from, the price it was charged at and the cost, and what its send
 * reserved. Written once, with the run's final write (ledger-write.ts).
 */
export interface LedgerEntry {
  runId: string;
  sessionId: string;
  userId: string;
  userName?: string;
  deptId?: string;
  deptName?: string;
  /** The department's ancestors, root first, without RuoYi's `0`. */
  deptAncestors: string[];
  modelId: number;
  modelCode: string;
  modelName: string;
  provider: string;
  outcome: RunOutcome;
  source: UsageOrigin;
  estimate?: UsageEstimate;
  /** Where the provider's numbers were read and how they were decided (llm/usage.ts). */
  provenance?: UsageSource;
  inputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  cachedTokens: number;
  /** input + output. */
  totalTokens: number;
  price?: StoredPrice;
  costMicros: number;
  startedAt: number;
  finishedAt: number;
  reservations: Reservation[];
}

/** RuoYi's `0` heads every ancestors list; it is no department. */
export const departmentPath = (identity: Pick<Identity, 'deptId' | 'deptAncestors'>): { ancestors: string[]; path: string[] } => {
  const ancestors = identity.deptAncestors.filter((id) => id !== '0' && id !== identity.deptId);
  return { ancestors, path: identity.deptId ? [...ancestors, identity.deptId] : [] };
};

export interface EntryInput {
  run: { runId: string; sessionId: string; status: RunOutcome; startedAt: number; finishedAt: number };
  identity: Identity;
  model: StoredModel;
  usage: RunUsage;
  reservations: Reservation[];
}

/** The ledger entry of a finished run, charged at the model's price in effect when it started. */
export const ledgerEntry = ({ run, identity, model, usage, reservations }: EntryInput): LedgerEntry => {
  const price = priceAt(model.prices, run.startedAt);
  return {
    runId: run.runId,
    sessionId: run.sessionId,
    userId: identity.userId,
    ...(identity.userName ? { userName: identity.userName } : {}),
    ...(identity.deptId ? { deptId: identity.deptId } : {}),
    ...(identity.deptName ? { deptName: identity.deptName } : {}),
    deptAncestors: departmentPath(identity).ancestors,
    modelId: model.modelId,
    modelCode: model.modelCode,
    modelName: model.modelName || model.modelCode,
    provider: model.provider,
    outcome: run.status,
    source: usage.source,
    ...(usage.estimate ? { estimate: usage.estimate } : {}),
    ...(usage.provenance ? { provenance: usage.provenance } : {}),
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    reasoningTokens: usage.reasoningTokens,
    cachedTokens: usage.cacheReadTokens,
    totalTokens: usage.inputTokens + usage.outputTokens,
    ...(price ? { price } : {}),
    costMicros: price ? costMicros(usage, price) : 0,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    reservations,
  };
};
