import type { Identity } from '../auth/identity.ts';
import { isConditionFailed } from '../db/dynamodb-error.ts';
import { ServiceError } from '../errors/service-error.ts';
import type { Runtime } from '../runtime.ts';

import { parseIdList } from '../validation/id-list.ts';
import { pageOf, type Page } from '../wire/envelope.ts';
import { REFUSAL_MSG } from '../wire/messages.ts';
import { deleteQuotaItems, getQuota, loadQuotas, nextQuotaId, putQuota } from './repository.ts';
import { type PublicQuota, type QuotaInput, type QuotaListQuery, type QuotaUpdate, quotaInputProblem, storedQuota, toPublicQuota } from './schema.ts';

type Deps = Pick<Runtime, 'db' | 'tables'>;

/**
 * At most this many quotas: every send's checks read them all (cached, quotas/quota-cache.ts)
 * in one Query page of well under 1 MB.
 */
export const MAX_QUOTAS = 1000;

const who = (identity: Identity) => identity.userName ?? identity.userId;

const validated = <T extends QuotaInput>(input: T): T => {
  const problem = quotaInputProblem(input);
  if (problem) throw ServiceError.invalid(problem);
  return input;
};

/** The quota editor's list, filtered, in id order. */
export const listQuotas = async (deps: Deps, query: QuotaListQuery): Promise<Page<PublicQuota>> => {
  const matching = (await loadQuotas(deps)).filter(
    (q) =>
      (!query.subjectType || q.subjectType === query.subjectType) &&
      (!query.subjectId || q.subjectId === query.subjectId) &&
      (!query.status || q.status === query.status),
  );
  const page = pageOf(matching, query);
  return { ...page, rows: page.rows.map(toPublicQuota) };
};

/** One quota, or `{}` when there is none (as the model detail answers). */
export const quotaDetail = async (deps: Deps, quotaId: number): Promise<PublicQuota | Record<string, never>> => {
  const quota = await getQuota(deps, quotaId);
  return quota ? toPublicQuota(quota) : {};
};

export const addQuota = async (deps: Deps, identity: Identity, input: QuotaInput): Promise<number> => {
  validated(input);
  if ((await loadQuotas(deps)).length >= MAX_QUOTAS) throw ServiceError.invalid(`最多只能设置${MAX_QUOTAS}个限额`);
  const quotaId = await nextQuotaId(deps);
  await putQuota(deps, storedQuota(quotaId, input, who(identity)), { exists: false });
  return quotaId;
};

export const editQuota = async (deps: Deps, identity: Identity, input: QuotaUpdate): Promise<void> => {
  validated(input);
  const current = await getQuota(deps, input.quotaId);
  if (!current) throw ServiceError.service(REFUSAL_MSG.quotaAbsent);
  try {
    await putQuota(deps, storedQuota(input.quotaId, input, who(identity), current), { exists: true });
  } catch (err) {
    if (isConditionFailed(err)) throw ServiceError.service(REFUSAL_MSG.quotaAbsent);
    throw err;
  }
};

export const parseQuotaIds = (raw: string): number[] => parseIdList(raw, 'quotaIds', REFUSAL_MSG.quotaIdsEmpty);

export const removeQuotas = (deps: Deps, quotaIds: number[]): Promise<void> => deleteQuotaItems(deps, quotaIds);
