import { defaultChatConfig, type ChatConfig } from '../../configs/schema.ts';
import { setRecent } from '../../memo.ts';
import { historyWanted } from '../4-start-call/prompt.ts';

const MAX_USERS = 10_000;

/** Runs of history a config puts in the prompt: none when history is off. */
export const historySize = (config: ChatConfig): number => (historyWanted(config) ? config.numHistoryRuns : 0);

export interface HistorySizes {
  /** How many runs to read for the user before this request's config is known. */
  guess(userId: string): number;
  remember(userId: string, config: ChatConfig): void;
}

/**
 * The history size each user's config asked for when this instance last read it. A
 * follow-up's history is read in the same round as its checks, before the request's own
 * config has arrived, so the read's size is a guess; the prompt always follows the config
 * read for the request (a larger size reads again, a smaller one or history off drops the
 * surplus). Users not seen yet get the default config's size.
 */
export const createHistorySizes = (): HistorySizes => {
  const sizes = new Map<string, number>();
  const fallback = historySize(defaultChatConfig(''));
  return {
    guess: (userId) => sizes.get(userId) ?? fallback,
    remember: (userId, config) => void setRecent(sizes, userId, historySize(config), MAX_USERS),
  };
};
