import type { CheckedTarget } from './base-url-guard.ts';
import { streamChatCompletions } from './chat-completions.ts';
import { createModelClient } from './client.ts';
import type { ProviderProfile } from './provider-profiles.ts';
import { streamResponses } from './responses.ts';
import type { LlmRequest, UpstreamSink } from './types.ts';

export interface ModelCall {
  profile: ProviderProfile;
  /** The model's API root after the guard checked it. */
  target: CheckedTarget;
  apiKey: string;
  request: LlmRequest;
  headersTimeoutMs: number;
  /**
   * The reply is read only once this settles true, so the request can go out before
   * the caller is ready for the first token (its run's status item still being
   * written); false ends the call unread, and the caller aborts it. Absent: read at once.
   */
  readWhen?: Promise<boolean>;
}

/**
 * Streams one reply into `sink`, through whichever API the provider speaks. Returns when
 * the stream ends or `signal` aborts it (the caller tells the two apart by the signal);
 * throws on a provider or connection failure.
 */
export const callModel = async (call: ModelCall, sink: UpstreamSink, signal: AbortSignal): Promise<void> => {
  const client = await createModelClient({ target: call.target, apiKey: call.apiKey, timeoutMs: call.headersTimeoutMs });
  const readWhen = call.readWhen ?? Promise.resolve(true);
  if (call.profile.api === 'responses') await streamResponses(client, call.request, readWhen, sink, signal);
  else await streamChatCompletions(client, call.request, call.profile.maxTokensParam, readWhen, sink, signal);
};
