import type { Identity } from '../lambdas/core/auth/identity.ts';
import { scanModels } from '../lambdas/core/models/repository.ts';
import { modelInputSchema, type ModelInput } from '../lambdas/core/models/schema.ts';
import { addModel, editModel } from '../lambdas/core/models/service.ts';
import type { Runtime } from '../lambdas/core/runtime.ts';

export const OFFLINE_MODEL_CODE = 'offline-echo';
/** Named so nobody mistakes the bundled server for a real model. */
export const OFFLINE_MODEL_NAME = 'Offline test model (not a real LLM)';

const SEEDER: Identity = { userId: '1', userName: 'admin', perms: [], roles: ['admin'], dataScopes: ['1'], deptAncestors: [], isAdmin: true };

export interface SeedOptions {
  offline: boolean;
  baseUrl: string;
  apiKey?: string;
  modelCode?: string;
}

/**
 * Creates the model the local stack starts with, or points the existing one at this
 * run's endpoint (the offline server gets a new port each start). Returns its id.
 */
export const seedModel = async (runtime: Runtime, options: SeedOptions): Promise<number> => {
  const modelCode = options.offline ? OFFLINE_MODEL_CODE : (options.modelCode ?? 'local-model');
  const input: ModelInput = modelInputSchema.parse({
    modelCode,
    modelName: options.offline ? OFFLINE_MODEL_NAME : `Local endpoint: ${modelCode}`,
    provider: 'OpenAI',
    modelSort: 0,
    apiKey: options.apiKey ?? null,
    baseUrl: options.baseUrl,
    maxTokens: 4096,
    temperature: 0.7,
    supportReasoning: options.offline ? 'Y' : 'N',
    supportImages: options.offline ? 'Y' : 'N',
    modelType: 'chat',
    status: '0',
    remark: options.offline ? 'Seeded by npm start: the bundled offline model server.' : 'Seeded by npm start.',
  });
  const existing = (await scanModels(runtime)).find((m) => m.modelCode === modelCode);
  if (existing) {
    await editModel(runtime, SEEDER, { ...input, modelId: existing.modelId });
    return existing.modelId;
  }
  return addModel(runtime, SEEDER, input);
};
