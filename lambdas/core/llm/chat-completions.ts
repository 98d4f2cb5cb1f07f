import type OpenAI from 'openai';
import type { ChatCompletionContentPart, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { APIError } from 'openai/core/error';
import { deltaText } from './chat-delta.ts';
import { readEventStream } from './event-stream.ts';
import type { ChatProfile } from './provider-profiles.ts';
import type { LlmRequest, PromptMessage, UpstreamSink } from './types.ts';
import { createUsageReader } from './usage.ts';

/** The parts of a chunk read here; everything else about its shape is chat-delta.ts's business. */
interface Chunk {
  choices?: { delta?: unknown; finish_reason?: unknown }[];
}

const dataUrl = (image: { contentType: string; base64: string }) => `data:${image.contentType};base64,${image.base64}`;

const toMessage = (message: PromptMessage): ChatCompletionMessageParam => {
  if (message.role !== 'user' || !message.images?.length) return { role: message.role, content: message.text };
  const parts: ChatCompletionContentPart[] = [
    { type: 'text', text: message.text },
    ...message.images.map((image): ChatCompletionContentPart => ({ type: 'image_url', image_url: { url: dataUrl(image) } })),
  ];
  return { role: 'user', content: parts };
};

/**
 * Streams one reply through `/chat/completions`, its usage asked for where the provider
 * accepts the option (provider-profiles.ts) and the model is not set against it
 * (`streamUsage`), and read by usage.ts. The `openai` client
 * makes the request (retry, timeout, errors before the stream); the stream itself is
 * read by event-stream.ts. A reply the provider's filter cut off (`finish_reason:
 * content_filter`) ends as a failure once the stream is read, so its usage still counts
 * and the user learns why the reply stopped; a stream that fails or is stopped keeps the
 * usage it carried so far.
 */
export const streamChatCompletions = async (
  client: OpenAI,
  request: LlmRequest,
  profile: Pick<ChatProfile, 'maxTokensParam' | 'includeUsage'>,
  ready: Promise<boolean>,
  sink: UpstreamSink,
  signal: AbortSignal,
): Promise<void> => {
  const response = await client.chat.completions
    .create(
      {
        model: request.model,
        messages: request.messages.map(toMessage),
        stream: true,
        ...(profile.includeUsage && request.streamUsage !== false ? { stream_options: { include_usage: true } } : {}),
        ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
        ...(request.maxTokens === undefined ? {} : { [profile.maxTokensParam]: request.maxTokens }),
        ...(request.reasoning ? { reasoning_effort: 'medium' as const } : {}),
      },
      { signal },
    )
    .asResponse();
  // Read nothing until the run may hand the reply on: it waits in the socket meanwhile.
  if (!(await ready)) {
    await response.body?.cancel();
    return;
  }
  let filtered = false;
  const usage = createUsageReader();
  try {
    await readEventStream<Chunk>(response, signal, sink, (chunk) => {
      sink.seen();
      const choice = Array.isArray(chunk?.choices) ? chunk.choices[0] : undefined;
      if (choice) {
        const text = deltaText(choice.delta);
        if (text.reasoning) sink.reasoning(text.reasoning);
        if (text.content) sink.content(text.content);
        if (choice.finish_reason === 'content_filter') filtered = true;
      }
      usage.chunk(chunk);
    });
  } finally {
    const billed = usage.result();
    if (billed) sink.usage(billed);
  }
  if (filtered && !signal.aborted) throw new APIError(undefined, { code: 'content_filter' }, undefined, undefined);
};
