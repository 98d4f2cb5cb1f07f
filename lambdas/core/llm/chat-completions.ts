import type OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionContentPart, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import { readEventStream } from './event-stream.ts';
import type { LlmRequest, PromptMessage, TokenUsage, UpstreamSink } from './types.ts';

/** Providers put reasoning text in either field (DeepSeek, vLLM: `reasoning_content`; OpenRouter, Ollama: `reasoning`). */
interface ReasoningDelta {
  content?: string | null;
  reasoning_content?: string | null;
  reasoning?: string | null;
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

export const usageFromChat = (usage: CompletionUsage): TokenUsage => ({
  inputTokens: usage.prompt_tokens ?? 0,
  outputTokens: usage.completion_tokens ?? 0,
  totalTokens: usage.total_tokens ?? (usage.prompt_tokens ?? 0) + (usage.completion_tokens ?? 0),
  reasoningTokens: usage.completion_tokens_details?.reasoning_tokens ?? 0,
  cacheReadTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
});

/**
 * Streams one reply through `/chat/completions`, usage included in the last chunk. The
 * `openai` client makes the request (retry, timeout, errors before the stream); the
 * stream itself is read by event-stream.ts.
 */
export const streamChatCompletions = async (
  client: OpenAI,
  request: LlmRequest,
  maxTokensParam: 'max_tokens' | 'max_completion_tokens',
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
        stream_options: { include_usage: true },
        ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
        ...(request.maxTokens === undefined ? {} : { [maxTokensParam]: request.maxTokens }),
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
  await readEventStream<ChatCompletionChunk>(response, signal, sink, (chunk) => {
    sink.seen();
    const delta = chunk.choices?.[0]?.delta as ReasoningDelta | undefined;
    if (delta) {
      const reasoning = delta.reasoning_content || delta.reasoning;
      if (reasoning) sink.reasoning(reasoning);
      if (delta.content) sink.content(delta.content);
    }
    if (chunk.usage) sink.usage(usageFromChat(chunk.usage));
  });
};
