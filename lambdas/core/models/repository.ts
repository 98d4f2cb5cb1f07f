import { batchWriteAll } from '../db/batch-write.ts';
import { nextSequence } from '../db/counter.ts';
import { type ItemRead, readItem } from '../db/item-read.ts';
import type { Runtime } from '../runtime.ts';
import type { StoredModel } from './schema.ts';

type Deps = Pick<Runtime, 'db' | 'tables'>;

/** The item that holds the model id counter (ids start at 1). */
const COUNTER_KEY = { modelId: 0 };

export const nextModelId = (deps: Deps): Promise<number> => nextSequence(deps.db, deps.tables.models, COUNTER_KEY);

/** The model item by id, read with the other pre-stream reads or alone (`getModel`). */
export const modelRead = (deps: Pick<Runtime, 'tables'>, modelId: number): ItemRead<StoredModel | undefined> => ({
  table: deps.tables.models,
  key: { modelId },
  parse: (item) => item as StoredModel | undefined,
});

export const getModel = async (deps: Deps, modelId: number): Promise<StoredModel | undefined> => {
  if (!Number.isSafeInteger(modelId) || modelId <= 0) return undefined;
  return readItem(deps.db, modelRead(deps, modelId));
};

/** Writes a new model; refuses to overwrite an id that already exists. */
export const insertModel = async (deps: Deps, model: StoredModel): Promise<void> => {
  await deps.db.put({
    TableName: deps.tables.models,
    Item: model,
    ConditionExpression: 'attribute_not_exists(modelId)',
  });
};

/** Replaces a model that still exists (a concurrent delete is not resurrected). */
export const replaceModel = async (deps: Deps, model: StoredModel): Promise<void> => {
  await deps.db.put({
    TableName: deps.tables.models,
    Item: model,
    ConditionExpression: 'attribute_exists(modelId)',
  });
};

/**
 * All models. Admins configure a handful, so one paginated Scan of this small table
 * is cheaper than maintaining indexes for each filter the list page offers.
 */
export const scanModels = async (deps: Deps): Promise<StoredModel[]> => {
  const models: StoredModel[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const out = await deps.db.scan({
      TableName: deps.tables.models,
      FilterExpression: 'modelId <> :counter',
      ExpressionAttributeValues: { ':counter': COUNTER_KEY.modelId },
      ExclusiveStartKey,
    });
    models.push(...((out.Items ?? []) as StoredModel[]));
    ExclusiveStartKey = out.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return models;
};

export const deleteModelItems = (deps: Deps, modelIds: number[]): Promise<void> =>
  batchWriteAll(
    deps.db,
    deps.tables.models,
    modelIds.map((modelId) => ({ DeleteRequest: { Key: { modelId } } })),
  );
