import type { ChatConfig } from '../../configs/schema.ts';
import type { ModelCall } from '../../llm/call-model.ts';
import type { PromptImage } from '../../llm/types.ts';
import type { StoredModel } from '../../models/schema.ts';
import type { ChatRequest } from '../1-accept/request-schema.ts';
import type { ModelConnection } from '../2-check/connect-model.ts';
import type { ChatDeps } from '../deps.ts';
import { buildPrompt, effectiveTemperature, reasoningEnabled, type HistoryTurn } from './prompt.ts';

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
    streamUsage: input.model.streamUsage !== 'N',
  },
});
