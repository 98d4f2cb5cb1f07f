import type { Identity } from '../auth/identity.ts';
import { ServiceError } from '../errors/service-error.ts';
import { pageOf, type Page } from '../wire/envelope.ts';
import { containsText } from '../validation/page-query.ts';
import type { Runtime } from '../runtime.ts';
import { utcNow } from '../time.ts';
import { deleteModelItems, getModel, insertModel, nextModelId, replaceModel, scanModels } from './repository.ts';
import { API_KEY_MASK, toPublicModel, type ModelInput, type ModelListQuery, type ModelUpdate, type PublicModel, type StoredModel } from './schema.ts';
import { modelInScope, requireModelInScope } from './scope.ts';
import { REFUSAL_MSG } from '../wire/messages.ts';
import { priceSchedule } from '../usage/prices.ts';
import { parseIdList } from '../validation/id-list.ts';

type Deps = Pick<Runtime, 'db' | 'tables' | 'cipher'>;

const byModelSort = (a: StoredModel, b: StoredModel) => a.modelSort - b.modelSort || a.modelId - b.modelId;

/** The admin list: scope, then the page's filters, ordered by `modelSort`. */
export const listModels = async (deps: Deps, identity: Identity, query: ModelListQuery): Promise<Page<PublicModel>> => {
  const matching = (await scanModels(deps))
    .filter((m) => modelInScope(identity, m))
    .filter((m) => containsText(m.modelName, query.modelName) && containsText(m.modelCode, query.modelCode))
    .filter((m) => (!query.provider || m.provider === query.provider) && (!query.status || m.status === query.status))
    .sort(byModelSort);
  const page = pageOf(matching, query);
  return { ...page, rows: page.rows.map(toPublicModel) };
};

/** The chat page's picker: enabled models in scope. */
export const enabledModels = async (deps: Deps, identity: Identity): Promise<PublicModel[]> =>
  (await scanModels(deps))
    .filter((m) => m.status === '0' && modelInScope(identity, m))
    .sort(byModelSort)
    .map(toPublicModel);

/** One model, or `{}` as the contract says when it does not exist. */
export const modelDetail = async (deps: Deps, identity: Identity, modelId: number): Promise<PublicModel | Record<string, never>> => {
  const model = await getModel(deps, modelId);
  if (!model) return {};
  requireModelInScope(identity, model);
  return toPublicModel(model);
};

/** A key given as the mask, or not given, means "keep the stored one". */
export const keepsStoredKey = (apiKey: string | null | undefined) => apiKey === undefined || apiKey === null || apiKey === API_KEY_MASK;

/** A key given as the mask, or not given, means "unchanged"; an empty string removes it. */
const resolveKeyCipher = async (deps: Deps, modelId: number, apiKey: string | null | undefined, current: string | undefined): Promise<string | undefined> => {
  if (keepsStoredKey(apiKey)) return current;
  const key = apiKey?.trim();
  if (!key) return undefined;
  return deps.cipher.encrypt(key, { modelId });
};

/**
 * The stored fields of a saved form: the key left out (it is encrypted apart), and the usage
 * settings the form left out kept as they were (RuoYi's own dialog knows none of them, and
 * sends back on edit what the detail showed it). A price without a start applies from now.
 */
const fieldsOf = (input: ModelInput, current?: StoredModel) => {
  const { apiKey: _key, prices, streamUsage, usageOnStop, ...fields } = input;
  const schedule = prices == null ? (current?.prices ?? []) : priceSchedule(prices, Date.now());
  if (typeof schedule === 'string') throw ServiceError.invalid(schedule);
  return {
    ...fields,
    prices: schedule,
    streamUsage: streamUsage ?? current?.streamUsage ?? 'Y',
    usageOnStop: usageOnStop ?? current?.usageOnStop ?? 'N',
  };
};

/** Creates the model and returns its new id. */
export const addModel = async (deps: Deps, identity: Identity, input: ModelInput): Promise<number> => {
  const modelId = await nextModelId(deps);
  const apiKeyCipher = await resolveKeyCipher(deps, modelId, input.apiKey, undefined);
  await insertModel(deps, {
    ...fieldsOf(input),
    modelId,
    apiKeyCipher,
    userId: identity.userId,
    deptId: identity.deptId,
    deptAncestors: identity.deptAncestors,
    createBy: identity.userName ?? identity.userId,
    createTime: utcNow(),
  });
  return modelId;
};

/**
 * Where a stored key is sent: the provider and the base URL as the client reaches it
 * (host case, default port and trailing slashes make no difference; the path does).
 */
const keyDestination = ({ provider, baseUrl }: Pick<StoredModel, 'provider' | 'baseUrl'>): string => {
  try {
    const url = new URL(baseUrl);
    return `${provider} ${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}${url.search}`;
  } catch {
    return `${provider} ${baseUrl}`;
  }
};

/**
 * A stored key goes only where it was stored for: new settings that send it elsewhere must
 * come with a new key. Otherwise an editor who can only see the mask could repoint the
 * model (or a test of it) and receive the key.
 */
export const requireKeyStaysWithEndpoint = (current: StoredModel, next: Pick<StoredModel, 'provider' | 'baseUrl'> & Pick<ModelInput, 'apiKey'>): void => {
  if (current.apiKeyCipher && keepsStoredKey(next.apiKey) && keyDestination(current) !== keyDestination(next)) {
    throw ServiceError.invalid(REFUSAL_MSG.keyRequired);
  }
};

/** The stored model an edit or a test starts from: it must exist and be in the caller's scope. */
export const modelToChange = async (deps: Deps, identity: Identity, modelId: number): Promise<StoredModel> => {
  const current = await getModel(deps, modelId);
  if (!current) throw ServiceError.service(REFUSAL_MSG.modelAbsent);
  requireModelInScope(identity, current);
  return current;
};

export const editModel = async (deps: Deps, identity: Identity, input: ModelUpdate): Promise<void> => {
  const current = await modelToChange(deps, identity, input.modelId);
  requireKeyStaysWithEndpoint(current, input);
  const { modelId: _id, ...rest } = input;
  await replaceModel(deps, {
    ...fieldsOf(rest, current),
    modelId: current.modelId,
    apiKeyCipher: await resolveKeyCipher(deps, current.modelId, input.apiKey, current.apiKeyCipher),
    userId: current.userId,
    deptId: current.deptId,
    deptAncestors: current.deptAncestors,
    createBy: current.createBy,
    createTime: current.createTime,
    updateBy: identity.userName ?? identity.userId,
    updateTime: utcNow(),
  });
};

/** Parses `1,2,3`; every id must be a positive integer. */
export const parseModelIds = (raw: string): number[] => parseIdList(raw, 'modelIds', REFUSAL_MSG.modelIdsEmpty);

/** Deletes the models in the caller's scope; nothing is deleted if any named one is outside it. */
export const removeModels = async (deps: Deps, identity: Identity, modelIds: number[]): Promise<void> => {
  const models = await Promise.all(modelIds.map((id) => getModel(deps, id)));
  for (const model of models) if (model) requireModelInScope(identity, model);
  await deleteModelItems(
    deps,
    models.filter((m): m is StoredModel => !!m).map((m) => m.modelId),
  );
};
