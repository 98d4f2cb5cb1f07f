import type { ChatConfig } from '../configs/schema.ts';
import { setRecent } from '../memo.ts';
import type { StoredModel } from '../models/schema.ts';
import type { HistoryTurn } from './prompt.ts';

/** What the last accepted run of a user with a model was checked against. */
export interface RecentRun {
  model: StoredModel;
  config: ChatConfig;
}

export interface RecentRuns {
  lookup(userId: string, modelId: number): RecentRun | undefined;
  remember(userId: string, run: RecentRun): void;
  /** The history the user's next message into this session will carry, as this instance last stored it. */
  sessionHistory(userId: string, sessionId: string): HistoryTurn[] | undefined;
  rememberSession(userId: string, sessionId: string, history: HistoryTurn[]): void;
  /** After any refusal: the user's next request waits for the checks again. */
  forget(userId: string): void;
}

const MAX_USERS = 500;
/** A longer history is read from the store each time rather than held here. */
const MAX_HISTORY_CHARS = 100_000;

interface UserMemory {
  runs: Map<number, { at: number; run: RecentRun }>;
  session?: { at: number; sessionId: string; history: HistoryTurn[] };
}

/**
 * This instance's memory of each user's last accepted run: the model and config its
 * checks read, and the history of the session it wrote to. It only lets the next request
 * start its model call early (early-call.ts); the checks and the store still decide, so
 * a stale entry costs a discarded request, never a wrong answer. Entries expire after
 * `ttlMs`; past 500 users the least recently active goes first.
 */
export const createRecentRuns = (ttlMs: number, now = Date.now): RecentRuns => {
  const users = new Map<string, UserMemory>();
  const fresh = (entry: { at: number } | undefined) => entry !== undefined && now() - entry.at <= ttlMs;
  /** The user's memory, moved to the most recently active end. */
  const touch = (userId: string): UserMemory => setRecent(users, userId, users.get(userId) ?? { runs: new Map() }, MAX_USERS);
  return {
    lookup(userId, modelId) {
      const entry = users.get(userId)?.runs.get(modelId);
      return fresh(entry) ? entry!.run : undefined;
    },
    remember(userId, run) {
      touch(userId).runs.set(run.model.modelId, { at: now(), run });
    },
    sessionHistory(userId, sessionId) {
      const session = users.get(userId)?.session;
      return fresh(session) && session!.sessionId === sessionId ? session!.history : undefined;
    },
    rememberSession(userId, sessionId, history) {
      const memory = touch(userId);
      const chars = history.reduce((sum, turn) => sum + turn.userMessage.length + turn.content.length, 0);
      memory.session = chars <= MAX_HISTORY_CHARS ? { at: now(), sessionId, history } : undefined;
    },
    forget(userId) {
      users.delete(userId);
    },
  };
};
