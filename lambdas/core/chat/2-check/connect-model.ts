import type { RequestLog } from '../../observability/request-log.ts';
import type { ChatConfig } from '../../configs/schema.ts';
import { ServiceError } from '../../errors/service-error.ts';
import { checkBaseUrl, type CheckedTarget } from '../../llm/base-url-guard.ts';
import type { ModelCall } from '../../llm/call-model.ts';
import { profileOf, type ProviderProfile } from '../../llm/provider-profiles.ts';
import type { PromptImage } from '../../llm/types.ts';
import type { StoredModel } from '../../models/schema.ts';
import type { ChatDeps } from '../deps.ts';
import { buildPrompt, effectiveTemperature, reasoningEnabled, type HistoryTurn } from '../4-start-call/prompt.ts';
import type { ChatRequest } from '../1-accept/request-schema.ts';

export const KEY_DECRYPT_MSG = '模型API密钥解密失败';

/** How a model is reached: its key in plain text, its checked address, its API. */
export interface ModelConnection {
  apiKey: string;
  target: CheckedTarget;
  profile: ProviderProfile;
}

/** The model's key (cached decrypt) and its base URL through the SSRF guard, in parallel. */
export const connectModel = async (deps: ChatDeps, model: StoredModel, log: RequestLog): Promise<ModelConnection> => {
  const profile = profileOf(model.provider);
  const [apiKey, target] = await Promise.all([
    deps.keys.apiKey(model).catch((err: unknown) => {
      log.error('model API key could not be decrypted', { modelId: model.modelId, errorName: (err as Error)?.name });
      throw ServiceError.service(KEY_DECRYPT_MSG);
    }),
    checkBaseUrl(profile.apiRoot(model.baseUrl), {
      allowlist: deps.runtime.settings.MODEL_HOST_ALLOWLIST,
      resolve: deps.resolveHost,
    }),
  ]);
  return { apiKey, target, profile };
};

/** A model call as the run would make it, before deciding when its reply may be read. */
export type PlannedCall = Omit<ModelCall, 'ready'>;

export interface CallInput {
  connection: ModelConnection;
  model: StoredModel;
  config: ChatConfig;
  request: Pick<ChatRequest, 'message' | 'isReasoning'>;
  history: HistoryTurn[];
  images: PromptImage[];
}

/** The one place a run's model request is put together from its checked inputs. */
export const planModelCall = (deps: ChatDeps, input: CallInput): PlannedCall => ({
  profile: input.connection.profile,
  target: input.connection.target,
  apiKey: input.connection.apiKey,
  headersTimeoutMs: deps.runtime.settings.UPSTREAM_IDLE_TIMEOUT_MS * 2,
  request: {
    model: input.model.modelCode,
    messages: buildPrompt({ config: input.config, history: input.history, message: input.request.message, images: input.images }),
    temperature: effectiveTemperature(input.config, input.model),
    maxTokens: input.model.maxTokens ?? undefined,
    reasoning: reasoningEnabled(input.request.isReasoning, input.model),
  },
});
