import { publicUserId } from '../wire/public-user-id.ts';
import type { Runtime } from '../runtime.ts';
import { wireTime } from '../time.ts';
import { LISTED_ATTRIBUTES, userPk } from './keys.ts';
import { queryAll } from './run-store.ts';
import type { SessionHeader } from './types.ts';

type Deps = Pick<Runtime, 'db' | 'tables'>;

/**
 * The sessions table's index of a user's session headers, keyed by creation time (a key
 * that never moves: keyed by update time, every turn would delete and re-put the index
 * item) and carrying only the attributes a list item shows.
 */
const BY_USER_INDEX = 'byUser';

/**
 * The list answers with at most this many sessions, the most recently created, so a user
 * with thousands still gets an answer well within one Lambda call; older ones stay
 * reachable by id.
 */
const SESSION_LIST_MAX = 1000;
/** Paging stops early past this much time and answers with what it has (the newest). */
const LIST_TIME_BUDGET_MS = 5000;

export interface ListOptions {
  max?: number;
  /** Items per Query page; DynamoDB's own 1 MB page when absent. */
  pageLimit?: number;
  budgetMs?: number;
}

/** The header fields a list item shows: exactly what the index carries. */
export type ListedHeader = Pick<SessionHeader, (typeof LISTED_ATTRIBUTES)[number]>;

/** A session as the list and the detail show it. */
export const toSessionListItem = (header: ListedHeader) => ({
  sessionId: header.sessionId,
  sessionTitle: header.title,
  sessionType: header.sessionType,
  userId: publicUserId(header.userId),
  createdAt: wireTime(header.createdAt),
  updatedAt: wireTime(header.updatedAt),
});

export type SessionListItem = ReturnType<typeof toSessionListItem>;

const listedFromIndex = (item: Record<string, unknown>) => Object.fromEntries(LISTED_ATTRIBUTES.map((name) => [name, item[name]])) as ListedHeader;

/**
 * Most recently active first. The sort is stable, so sessions last written in the same
 * millisecond keep the index's order: newest created first, then by id.
 */
const byActivity = (a: ListedHeader, b: ListedHeader) => b.updatedAt - a.updatedAt;

/**
 * The caller's sessions, most recently active first: a Query on the by-user index, page
 * by page, never a Scan. The index is ordered by creation, so the cap keeps the newest
 * created sessions, which are then ordered by their last turn.
 */
export const listSessions = async (deps: Deps, userId: string, options: ListOptions = {}): Promise<SessionListItem[]> => {
  const max = options.max ?? SESSION_LIST_MAX;
  const deadline = Date.now() + (options.budgetMs ?? LIST_TIME_BUDGET_MS);
  const items = await queryAll(
    deps,
    {
      TableName: deps.tables.sessions,
      IndexName: BY_USER_INDEX,
      KeyConditionExpression: 'userPk = :upk',
      ExpressionAttributeValues: { ':upk': userPk(userId) },
      ScanIndexForward: false,
      Limit: options.pageLimit ?? max,
    },
    (found) => found.length >= max || Date.now() >= deadline,
  );
  return items.slice(0, max).map(listedFromIndex).sort(byActivity).map(toSessionListItem);
};
