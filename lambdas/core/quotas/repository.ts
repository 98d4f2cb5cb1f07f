import { batchWriteAll } from '../db/batch-write.ts';
import { nextSequence } from '../db/counter.ts';
import type { Runtime } from '../runtime.ts';
import { queryAll } from '../sessions/run-store.ts';
import { QUOTA_PK, QUOTA_SEQUENCE_KEY, quotaKey } from '../usage/keys.ts';
import type { Quota } from './schema.ts';

type Deps = Pick<Runtime, 'db' | 'tables'>;

/** Every quota, in id order: one partition of small items, so one Query page reads them all (see MAX_QUOTAS). */
export const loadQuotas = async (deps: Deps): Promise<Quota[]> => {
  const items = await queryAll(deps, {
    TableName: deps.tables.sessions,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': QUOTA_PK },
  });
  return items.map(({ pk: _pk, sk: _sk, ...quota }) => quota as unknown as Quota);
};

export const getQuota = async (deps: Deps, quotaId: number): Promise<Quota | undefined> => {
  const out = await deps.db.get({ TableName: deps.tables.sessions, Key: quotaKey(quotaId) });
  if (!out.Item) return undefined;
  const { pk: _pk, sk: _sk, ...quota } = out.Item;
  return quota as unknown as Quota;
};

export const nextQuotaId = (deps: Deps): Promise<number> => nextSequence(deps.db, deps.tables.sessions, QUOTA_SEQUENCE_KEY);

/** Writes a new quota, or replaces one that still exists (a concurrent delete is not brought back). */
export const putQuota = async (deps: Deps, quota: Quota, { exists }: { exists: boolean }): Promise<void> => {
  await deps.db.put({
    TableName: deps.tables.sessions,
    Item: { ...quotaKey(quota.quotaId), ...quota },
    ConditionExpression: exists ? 'attribute_exists(pk)' : 'attribute_not_exists(pk)',
  });
};

export const deleteQuotaItems = (deps: Deps, quotaIds: number[]): Promise<void> =>
  batchWriteAll(
    deps.db,
    deps.tables.sessions,
    quotaIds.map((quotaId) => ({ DeleteRequest: { Key: quotaKey(quotaId) } })),
  );
