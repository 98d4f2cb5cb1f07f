import type { RunRecord } from '../../sessions/types.ts';
import { ledgerEntry, type LedgerEntry } from '../../usage/ledger-entry.ts';
import { runUsage } from '../../usage/run-usage.ts';
import type { ActiveRun } from '../active-run.ts';

/**
 * The ledger entry of a run about to be stored: its usage (the provider's, or estimated
 * from what it streamed), who ran it as the checks saw them, its model with the price in
 * effect at its start, and what its send reserved.
 */
export const usageEntry = ({ plan, progress }: Pick<ActiveRun, 'plan' | 'progress'>, record: RunRecord): LedgerEntry =>
  ledgerEntry({
    run: record,
    identity: plan.identity,
    model: plan.model,
    usage: runUsage({
      outcome: record.status,
      usage: progress.usage,
      provenance: progress.usageSource,
      content: record.content,
      reasoning: record.reasoning,
      promptTokens: progress.promptTokens,
    }),
    reservations: plan.quota.reservations,
  });
