import type { LedgerEntry } from '../usage/ledger-entry.ts';
import type { RunMetrics } from '../wire/types.ts';

export type RunOutcome = 'completed' | 'cancelled' | 'failed';

export type { RunMetrics };

export const SUMMED_METRICS = [
  'inputTokens',
  'outputTokens',
  'totalTokens',
  'reasoningTokens',
  'cacheReadTokens',
  'duration',
  'timeToFirstToken',
] as const satisfies readonly (keyof RunMetrics)[];

export interface ModelInfo {
  id: number;
  /** The model's code (what the provider calls it); the front end shows it as `agentData.model.id`. */
  code?: string;
  name: string;
  provider: string;
  temperature: number | null;
}

/** One turn: the user's message and what the assistant answered, whatever the outcome. */
export interface RunRecord {
  runId: string;
  sessionId: string;
  userId: string;
  status: RunOutcome;
  userMessage: string;
  /** Image keys the user attached. */
  images: string[];
  content: string;
  reasoning: string;
  metrics: RunMetrics | null;
  model: ModelInfo;
  /** Epoch milliseconds; orders the runs of a session. */
  startedAt: number;
  finishedAt: number;
  /** Readable failure text shown to the user (no internals). */
  error?: string;
  /**
   * The run's usage, written with it in one transaction into the ledger (usage/ledger-write.ts),
   * never into the run item. Absent on runs read back, and on runs kept by a deploy from before it.
   */
  usage?: LedgerEntry;
}

export interface SessionHeader {
  sessionId: string;
  userId: string;
  title: string;
  sessionType: string;
  createdAt: number;
  updatedAt: number;
  runCount: number;
  metrics: Partial<Record<keyof RunMetrics, number>>;
  model?: ModelInfo;
}
