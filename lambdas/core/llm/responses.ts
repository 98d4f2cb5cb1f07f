import type OpenAI from 'openai';
import { APIError } from 'openai/core/error';
import type { ResponseInputContent, ResponseInputItem, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { readEventStream } from './event-stream.ts';
import type { LlmRequest, PromptMessage, UpstreamSink } from './types.ts';
import { responsesUsage } from './usage.ts';

const toInput = (message: PromptMessage): ResponseInputItem => {
  if (message.role !== 'user') return { role: message.role, content: message.text };
  const content: ResponseInputContent[] = [
    { type: 'input_text', text: message.text },
    ...(message.images ?? []).map(
      (image): ResponseInputContent => ({ type: 'input_image', image_url: `data:${image.contentType};base64,${image.base64}`, detail: 'auto' }),
    ),
  ];
  return { role: 'user', content };
};

/**
 * Streams one reply through the Responses API (`OpenAIResponses`); the system prompt goes
 * in as `instructions`. Read as in chat-completions.ts. A `response.failed` (its
 * `error` says why: `rate_limit_exceeded`, `insufficient_quota`, …) and a reply the
 * content filter left incomplete end as the provider's error, classified like one
 * before the stream (upstream-errors.ts).
 */
export const streamResponses = async (client: OpenAI, request: LlmRequest, ready: Promise<boolean>, sink: UpstreamSink, signal: AbortSignal): Promise<void> => {
  const system = request.messages.filter((m) => m.role === 'system').map((m) => m.text);
  const response = await client.responses
    .create(
      {
        model: request.model,
        input: request.messages.filter((m) => m.role !== 'system').map(toInput),
        ...(system.length ? { instructions: system.join('\n\n') } : {}),
        stream: true,
        store: false,
        ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
        ...(request.maxTokens === undefined ? {} : { max_output_tokens: request.maxTokens }),
        ...(request.reasoning ? { reasoning: { effort: 'medium' as const, summary: 'auto' as const } } : {}),
      },
      { signal },
    )
    .asResponse();
  // Read nothing until the run may hand the reply on: it waits in the socket meanwhile.
  if (!(await ready)) {
    await response.body?.cancel();
    return;
  }
  await readEventStream<ResponseStreamEvent>(response, signal, sink, (event) => {
    sink.seen();
    switch (event.type) {
      case 'response.output_text.delta':
      case 'response.refusal.delta':
        if (typeof event.delta === 'string') sink.content(event.delta);
        break;
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta':
        if (typeof event.delta === 'string') sink.reasoning(event.delta);
        break;
      case 'response.completed':
      case 'response.incomplete': {
        const billed = responsesUsage(event.response?.usage);
        if (billed) sink.usage(billed);
        if (event.response?.incomplete_details?.reason === 'content_filter') {
          throw new APIError(undefined, { code: 'content_filter' }, undefined, undefined);
        }
        break;
      }
      case 'response.failed':
        throw new APIError(undefined, event.response?.error ?? { code: 'response_failed' }, undefined, undefined);
      default:
        break;
    }
  });
};
