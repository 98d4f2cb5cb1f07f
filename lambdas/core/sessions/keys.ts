/**
 * Item keys of the sessions table. One partition per session holds its header, its
 * runs (sorted by start time) and the overflow parts of large runs; each run's status
 * record has its own partition (run-status.ts).
 */
export const sessionPk = (sessionId: string) => `SESSION#${sessionId}`;
export const HEADER_SK = 'HEADER';
export const RUN_PREFIX = 'RUN#';
export const PART_PREFIX = 'PART#';
/** Marks a run still in progress, so deleting the session can find and stop it. */
export const ACTIVE_PREFIX = 'ACTIVE#';
export const activeRunSk = (runId: string) => `${ACTIVE_PREFIX}${runId}`;
export const runSk = (startedAtMs: number, runId: string) => `${RUN_PREFIX}${startedAtMs.toString().padStart(15, '0')}#${runId}`;
export const partSk = (runSortKey: string, index: number) => `${PART_PREFIX}${runSortKey.slice(RUN_PREFIX.length)}#${index.toString().padStart(4, '0')}`;

export const userPk = (userId: string) => `USER#${userId}`;
/**
 * Sort key of the byUser index: the session's creation time, so newest created first when
 * read backwards. Set once and never changed, so a later turn never moves the index item.
 */
export const createdSk = (createdAtMs: number, sessionId: string) => `${createdAtMs.toString().padStart(15, '0')}#${sessionId}`;
/**
 * The header attributes the byUser index carries besides its keys: what a session list
 * item shows and nothing more, so an index write stays one 1 KB write unit however large
 * the header grows.
 */
export const LISTED_ATTRIBUTES = ['sessionId', 'title', 'sessionType', 'userId', 'createdAt', 'updatedAt'] as const;
