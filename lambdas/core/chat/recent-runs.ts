import type { ChatConfig } from '../configs/schema.ts';
import type { StoredModel } from '../models/schema.ts';

/** What the last accepted run of a user with a model was checked against. */
export interface RecentRun {
  model: StoredModel;
  config: ChatConfig;
}

export interface RecentRuns {
  lookup(userId: string, modelId: number): RecentRun | undefined;
  remember(userId: string, run: RecentRun): void;
  /** After any refusal: the user's next request waits for the checks again. */
  forget(userId: string): void;
}

const MAX_USERS = 500;

/**
 * This instance's memory of each user's last accepted run: the model and config its
 * checks read. It only lets the next request start its model call early (early-call.ts);
 * the checks still run and decide, so a stale entry costs a discarded request, never a
 * wrong answer. Entries expire after `ttlMs`; the least recently used user goes first.
 */
export const createRecentRuns = (ttlMs: number, now = Date.now): RecentRuns => {
  const byUser = new Map<string, Map<number, { at: number; run: RecentRun }>>();
  return {
    lookup(userId, modelId) {
      const entry = byUser.get(userId)?.get(modelId);
      return entry && now() - entry.at <= ttlMs ? entry.run : undefined;
    },
    remember(userId, run) {
      const runs = byUser.get(userId) ?? new Map<number, { at: number; run: RecentRun }>();
      runs.set(run.model.modelId, { at: now(), run });
      byUser.delete(userId);
      byUser.set(userId, runs);
      if (byUser.size > MAX_USERS) byUser.delete(byUser.keys().next().value!);
    },
    forget(userId) {
      byUser.delete(userId);
    },
  };
};
