import type { TransactWriteCommandInput, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Identity } from '../auth/identity.ts';
import { type DynamoDbError, isConditionFailed, isTransactionConflict } from '../db/dynamodb-error.ts';
import { ServiceError } from '../errors/service-error.ts';
import type { StoredModel } from '../models/schema.ts';
import { retry } from '../retry.ts';
import type { Runtime } from '../runtime.ts';
import { HELD_COST_PREFIX, HELD_TOKENS, heldAmounts } from '../usage/figures.ts';
import { type ItemKey, keyText } from '../usage/keys.ts';
import type { Reservation } from '../usage/ledger-entry.ts';
import { priceAt, type StoredPrice } from '../usage/prices.ts';
import { quotaReachedMessage } from '../wire/messages.ts';
import { amountOf, heldAttribute, quotaPeriod } from './applicable.ts';
import { quotaWords } from './quota-words.ts';
import type { Quota } from './schema.ts';

type Deps = Pick<Runtime, 'db' | 'tables' | 'settings'>;
type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * What one send reserves: the largest reply its model allows (`maxTokens`), never less
 * than QUOTA_RESERVE_TOKENS, which also stands for a model without one; in money, those
 * tokens at the model's highest price in effect.
 */
export const reservedTokens = (model: Pick<StoredModel, 'maxTokens'>, floor: number): number => Math.max(model.maxTokens ?? 0, floor);

const reservedCost = (tokens: number, price: StoredPrice): number => {
  const highest = Math.max(price.inputMicros, price.outputMicros, price.cachedMicros ?? 0);
  return Number((BigInt(tokens) * BigInt(highest) + 999_999n) / 1_000_000n);
};

/** One counter item's part of the reservation: each held attribute with its amount and the lowest limit on it. */
interface Hold {
  key: ItemKey;
  resetsAt: string;
  /** By held attribute. */
  amounts: Map<string, { amount: number; limit: number; quotas: Quota[] }>;
}

/** The hard quotas' holds, one per counter item; a cost quota in another currency than the model's price holds nothing. */
const holdsOf = (hard: Quota[], identity: Identity, model: StoredModel, floor: number, now: number): Hold[] => {
  const tokens = reservedTokens(model, floor);
  const price = priceAt(model.prices, now);
  const holds = new Map<string, Hold>();
  for (const quota of hard) {
    if (quota.metric === 'cost' && price?.currency !== quota.currency) continue;
    const amount = quota.metric === 'tokens' ? tokens : reservedCost(tokens, price!);
    const at = quotaPeriod(quota, identity, now);
    const hold = holds.get(keyText(at.key)) ?? { key: at.key, resetsAt: at.resetsAt, amounts: new Map() };
    const attribute = heldAttribute(quota);
    const held = hold.amounts.get(attribute);
    hold.amounts.set(attribute, { amount, limit: Math.min(held?.limit ?? quota.limit, quota.limit), quotas: [...(held?.quotas ?? []), quota] });
    holds.set(keyText(at.key), hold);
  }
  return [...holds.values()];
};

/**
 * The conditional write of one hold: each held attribute grows by its amount only while it
 * is below its limit. A send is so admitted only while the counter's use plus what runs in
 * flight reserved is below the limit, and concurrent sends are admitted one after another.
 */
const holdUpdate = (table: string, hold: Hold): UpdateCommandInput & { UpdateExpression: string } => {
  const entries = [...hold.amounts.entries()];
  const names = Object.fromEntries(entries.map(([attribute], i) => [`#h${i}`, attribute]));
  const values = Object.fromEntries(
    entries.flatMap(([, a], i) => [
      [`:a${i}`, a.amount],
      [`:l${i}`, a.limit],
    ]),
  );
  return {
    TableName: table,
    Key: hold.key,
    UpdateExpression: `ADD ${entries.map((_, i) => `#h${i} :a${i}`).join(', ')}`,
    ConditionExpression: entries.map((_, i) => `(attribute_not_exists(#h${i}) OR #h${i} < :l${i})`).join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
};

/** The held items of the holds the write was refused for: by hold, the item as it was (undefined: not refused). */
const refusedItems = (err: unknown, holds: Hold[]): (Record<string, unknown> | undefined)[] | undefined => {
  const e = err as DynamoDbError;
  if (holds.length === 1) return isConditionFailed(err) ? [e.Item ?? {}] : undefined;
  if (e.name !== 'TransactionCanceledException') return undefined;
  const reasons = e.CancellationReasons ?? [];
  if (!reasons.some((r) => r.Code === 'ConditionalCheckFailed')) return undefined;
  return holds.map((_, i) => (reasons[i]?.Code === 'ConditionalCheckFailed' ? (reasons[i]?.Item ?? {}) : undefined));
};

/** The refusal of a send whose hold was refused: it names the first quota found reached on a refused item. */
const refusal = (holds: Hold[], items: (Record<string, unknown> | undefined)[], identity: Identity, model: StoredModel): ServiceError => {
  for (const [i, hold] of holds.entries()) {
    const item = items[i];
    if (!item) continue;
    for (const [attribute, held] of hold.amounts) {
      if (amountOf(item, attribute) < held.limit) continue;
      const quota = held.quotas.reduce((low, q) => (q.limit < low.limit ? q : low));
      return ServiceError.service(quotaReachedMessage(quotaWords(quota, identity, model, hold.resetsAt)));
    }
  }
  throw new Error('quota reservation refused, yet no quota found reached');
};

const ATTEMPTS = 4;

/**
 * Reserves for a send on every counter a hard quota that applies reads, all or none: one
 * conditional UpdateItem, or a transaction of them when several counters hold. A quota
 * reached refuses the send (code 500, the message names the quota and when it resets). What
 * was reserved is settled by the run's final write (usage/ledger-write.ts) or released.
 */
export const reserve = async (deps: Deps, hard: Quota[], identity: Identity, model: StoredModel, now: number): Promise<Reservation[]> => {
  const holds = holdsOf(hard, identity, model, deps.settings.QUOTA_RESERVE_TOKENS, now);
  if (!holds.length) return [];
  const updates = holds.map((hold) => holdUpdate(deps.tables.sessions, hold));
  const write = async () => {
    if (updates.length === 1) await deps.db.update(updates[0]!);
    else await deps.db.transactWrite({ TransactItems: updates.map((Update): TransactItem => ({ Update })) });
  };
  try {
    await retry(write, { maxAttempts: ATTEMPTS, deadline: Number.POSITIVE_INFINITY, retryable: isTransactionConflict });
  } catch (err) {
    const items = refusedItems(err, holds);
    if (items) throw refusal(holds, items, identity, model);
    throw err;
  }
  return holds.map((hold) => {
    const held = [...hold.amounts.entries()];
    const cost = held.filter(([a]) => a.startsWith(HELD_COST_PREFIX)).map(([a, h]) => [a.slice(HELD_COST_PREFIX.length), h.amount]);
    return { key: hold.key, tokens: hold.amounts.get(HELD_TOKENS)?.amount ?? 0, cost: Object.fromEntries(cost) };
  });
};

/** Gives reservations back (a send refused by another check, a run that never started): each held attribute less its amount. */
export const releaseReservations = async (deps: Pick<Runtime, 'db' | 'tables'>, reservations: Reservation[]): Promise<void> => {
  await Promise.all(
    reservations.map((r) => {
      const amounts = heldAmounts(r).filter(([, amount]) => amount > 0);
      if (!amounts.length) return undefined;
      return deps.db.update({
        TableName: deps.tables.sessions,
        Key: r.key,
        UpdateExpression: `ADD ${amounts.map((_, i) => `#h${i} :a${i}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(amounts.map(([attribute], i) => [`#h${i}`, attribute])),
        ExpressionAttributeValues: Object.fromEntries(amounts.map(([, amount], i) => [`:a${i}`, -amount])),
      });
    }),
  );
};
