import { setRecent } from '../../memo.ts';
import type { StoredModel } from '../../models/schema.ts';

const MAX_MODELS = 1_000;

/**
 * The models this instance last read in a send's checks. A hard quota's reservation is
 * sized by the model (its `maxTokens`, its price) yet made in the same round as the read of
 * the model: it takes the model as last read here, and waits for the round's read only the
 * first time a model is sent to on this instance. Nothing else trusts this copy.
 */
export interface ModelMemory {
  recall(modelId: number): StoredModel | undefined;
  remember(model: StoredModel): void;
}

export const createModelMemory = (): ModelMemory => {
  const models = new Map<number, StoredModel>();
  return {
    recall: (modelId) => models.get(modelId),
    remember: (model) => void setRecent(models, model.modelId, model, MAX_MODELS),
  };
};
