import type { StoredModel } from '../../lambdas/core/models/schema.ts';

/** A model on the offline model server at `baseUrl` (local/model-server.ts), as the tests add it; `fields` override. */
export const offlineModel = (modelId: number, baseUrl: string, fields: Partial<StoredModel> = {}): StoredModel => ({
  modelCode: 'offline-echo',
  modelName: 'Offline test model',
  provider: 'OpenAI',
  modelSort: 0,
  baseUrl,
  maxTokens: null,
  temperature: null,
  supportReasoning: 'Y',
  supportImages: 'Y',
  modelType: 'chat',
  status: '0',
  remark: null,
  userId: '1',
  createTime: '2026-01-01T00:00:00',
  ...fields,
  modelId,
});
