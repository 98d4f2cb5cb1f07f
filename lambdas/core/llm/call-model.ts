import type { CheckedTarget } from './base-url-guard.ts';
import { streamChatCompletions } from './chat-completions.ts';
import { createModelClient } from './client.ts';
import { gateSink } from './gated-sink.ts';
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
   * The reply reaches the sink only once this settles true, so the request can go out
   * before the caller is ready for the first token (its run's status item still being
   * written); until then it is parsed as it arrives and held (gated-sink.ts). False
   * drops it, and the caller aborts the call. Absent: handed on at once.
   */
  deliverWhen?: Promise<boolean>;
}

/**
 * Streams one reply into `sink`, through whichever API the provider speaks. Returns when
 * the stream ends or `signal` aborts it (the caller tells the two apart by the signal);
 * throws on a provider or connection failure.
 */
export const callModel = async (call: ModelCall, sink: UpstreamSink, signal: AbortSignal): Promise<void> => {
  const client = await createModelClient({ target: call.target, apiKey: call.apiKey, timeoutMs: call.headersTimeoutMs });
  const target = call.deliverWhen ? gateSink(sink, call.deliverWhen) : sink;
  try {
    if (call.profile.api === 'responses') await streamResponses(client, call.request, target, signal);
    else await streamChatCompletions(client, call.request, call.profile.maxTokensParam, target, signal);
  } finally {
    // A reply that ended (or failed) while held ends the call only once it was handed on.
    await call.deliverWhen?.catch(() => false);
  }
};
