import type { RequestLog } from '../../observability/request-log.ts';
import { ServiceError } from '../../errors/service-error.ts';
import { checkBaseUrl, type CheckedTarget } from '../../llm/base-url-guard.ts';
import { profileOf, type ProviderProfile } from '../../llm/provider-profiles.ts';
import type { StoredModel } from '../../models/schema.ts';
import type { ChatDeps } from '../deps.ts';
import { REFUSAL_MSG } from '../../wire/messages.ts';

/** How a model is reached: its key in plain text, its checked address, its API. */
export interface ModelConnection {
  apiKey: string;
  target: CheckedTarget;
  profile: ProviderProfile;
}

/** What connecting needs: the keys, the resolver the guard checks with, and the settings' allowlist. */
export type ConnectDeps = Pick<ChatDeps, 'keys' | 'resolveHost'> & { runtime: Pick<ChatDeps['runtime'], 'settings'> };

/** The model's key (cached decrypt) and its base URL through the SSRF guard, in parallel: for a send, and for a model test. */
export const connectModel = async (deps: ConnectDeps, model: StoredModel, log: RequestLog): Promise<ModelConnection> => {
  const profile = profileOf(model.provider);
  const [apiKey, target] = await Promise.all([
    deps.keys.apiKey(model).catch((err: unknown) => {
      log.error('model API key could not be decrypted', { modelId: model.modelId, errorName: (err as Error)?.name });
      throw ServiceError.service(REFUSAL_MSG.keyDecrypt);
    }),
    checkBaseUrl(profile.apiRoot(model.baseUrl), {
      allowlist: deps.runtime.settings.MODEL_HOST_ALLOWLIST,
      resolve: deps.resolveHost,
    }),
  ]);
  return { apiKey, target, profile };
};
