import type { Identity } from '../auth/identity.ts';
import type { StoredModel } from '../models/schema.ts';
import type { RequestLog } from '../observability/request-log.ts';
import type { Runtime } from '../runtime.ts';
import type { Reservation } from '../usage/ledger-entry.ts';
import { quotaApplies } from './applicable.ts';
import { reserve } from './reservation.ts';
import type { Quota } from './schema.ts';
import { passedSoftQuotas, type SoftNotice } from './soft-notice.ts';

type Deps = Pick<Runtime, 'db' | 'tables' | 'settings'>;

/** What a send's quota check gives the run: its reservations to settle, and the soft notices it may show. */
export interface QuotaGrant {
  reservations: Reservation[];
  notices: SoftNotice[];
}

export const NO_QUOTA: QuotaGrant = { reservations: [], notices: [] };

export interface QuotaCheckInput {
  identity: Identity;
  modelId: number;
  now: number;
  /** The quotas (quota-cache.ts: at once while a copy is kept). */
  quotas: Promise<Quota[]>;
  /** The model (model-memory.ts: at once once this instance read it; else the round's read); undefined: none, refused elsewhere. */
  model: Promise<StoredModel | undefined>;
}

/**
 * A send's quota check, part of its one round of checks (2-check/prepare-run.ts): the hard
 * quotas that apply reserve (reservation.ts, refusing the send once one is reached), the
 * soft ones are read. Every key is known from the caller and the request, so nothing here
 * waits on the round's other reads once the quotas and the model are cached. A soft quota
 * that cannot be read is not worth refusing a send for: it is logged and skipped.
 */
export const checkQuotas = async (deps: Deps, input: QuotaCheckInput, log: RequestLog): Promise<QuotaGrant> => {
  const { identity, modelId, now } = input;
  const applicable = (await input.quotas).filter((quota) => quotaApplies(quota, identity, modelId));
  if (!applicable.length) return NO_QUOTA;
  const model = await input.model;
  if (!model) return NO_QUOTA;
  const hard = applicable.filter((q) => q.enforcement === 'hard');
  const soft = applicable.filter((q) => q.enforcement === 'soft');
  const [reservations, notices] = await Promise.all([
    reserve(deps, hard, identity, model, now),
    passedSoftQuotas(deps, soft, identity, model, now).catch((err: unknown) => {
      log.warn('soft quotas could not be read', { errorName: (err as Error)?.name });
      return [];
    }),
  ]);
  return { reservations, notices };
};
