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
   * Settles once the caller may hand the reply on (its run's status item written); the
   * request goes out at once, but its body is read only after this settles true. False
   * ends the call unread.
   */
  ready: Promise<boolean>;
}

/**
 * Streams one reply into `sink`, through whichever API the provider speaks. Returns when
 * the stream ends or `signal` aborts it (the caller tells the two apart by the signal);
 * throws on a provider or connection failure.
 */
export const callModel = async (call: ModelCall, sink: UpstreamSink, signal: AbortSignal): Promise<void> => {
  const client = await createModelClient({ target: call.target, apiKey: call.apiKey, timeoutMs: call.headersTimeoutMs });
  if (call.profile.api === 'responses') await streamResponses(client, call.request, call.ready, sink, signal);
  else await streamChatCompletions(client, call.request, call.profile, call.ready, sink, signal);
};
