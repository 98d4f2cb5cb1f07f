import type { Identity } from '../auth/identity.ts';
import { isConditionFailed } from '../db/dynamodb-error.ts';
import type { StoredModel } from '../models/schema.ts';
import type { Runtime } from '../runtime.ts';
import { readKeys } from '../usage/counter-read.ts';
import { counterKey, type ItemKey, keyText } from '../usage/keys.ts';
import { periodOf } from '../usage/periods.ts';
import { quotaNoticeMessage } from '../wire/messages.ts';
import { amountOf, quotaPeriod, usedAttribute } from './applicable.ts';
import { quotaWords } from './quota-words.ts';
import type { Quota } from './schema.ts';

type Deps = Pick<Runtime, 'db' | 'tables'>;

/** A soft quota found passed, whose user has not been told this period: the mark that tells them once, and the text. */
export interface SoftNotice {
  /** The user's own counter of the quota's period, which keeps that they were told. */
  mark: ItemKey;
  attribute: string;
  message: string;
}

/**
 * The soft quotas that apply and are passed (their counter's use at or above the limit),
 * for which the user's counter of that period does not yet say they were told: read in the
 * send's round of checks, in one BatchGetItem.
 */
export const passedSoftQuotas = async (deps: Deps, soft: Quota[], identity: Identity, model: StoredModel, now: number): Promise<SoftNotice[]> => {
  if (!soft.length) return [];
  const standings = soft.map((quota) => ({
    quota,
    at: quotaPeriod(quota, identity, now),
    mark: counterKey('user', identity.userId, quota.period, periodOf(quota.period, now)),
    attribute: `notified#${quota.quotaId}`,
  }));
  const found = await readKeys(
    deps,
    standings.flatMap((s) => [s.at.key, s.mark]),
  );
  return standings
    .filter((s) => amountOf(found.get(keyText(s.at.key)), usedAttribute(s.quota)) >= s.quota.limit)
    .filter((s) => found.get(keyText(s.mark))?.[s.attribute] === undefined)
    .map((s) => ({ mark: s.mark, attribute: s.attribute, message: quotaNoticeMessage(quotaWords(s.quota, identity, model, s.at.resetsAt)) }));
};

/**
 * The notices this run may show: each marked on the user's counter on condition that no
 * other run marked it first, so concurrent runs show a notice once between them.
 */
export const claimNotices = async (deps: Deps, notices: SoftNotice[], now = Date.now()): Promise<string[]> => {
  const claimed = await Promise.all(
    notices.map(async (notice) => {
      try {
        await deps.db.update({
          TableName: deps.tables.sessions,
          Key: notice.mark,
          UpdateExpression: 'SET #n = :now',
          ConditionExpression: 'attribute_not_exists(#n)',
          ExpressionAttributeNames: { '#n': notice.attribute },
          ExpressionAttributeValues: { ':now': now },
        });
        return notice.message;
      } catch (err) {
        if (isConditionFailed(err)) return undefined;
        throw err;
      }
    }),
  );
  return claimed.filter((message): message is string => message !== undefined);
};
