import type { TokenUsage } from '../wire/types.ts';
import type { ReadDemand } from './event-stream.ts';
import type { BilledUsage } from './usage.ts';

/** A prompt as the run builds it, free of any one provider API's shape. */
export interface PromptImage {
  contentType: string;
  base64: string;
}

export interface PromptMessage {
  role: 'system' | 'user' | 'assistant';
  text: string;
  images?: PromptImage[];
}

export interface LlmRequest {
  /** The provider's model name (the model's `modelCode`). */
  model: string;
  messages: PromptMessage[];
  temperature?: number;
  maxTokens?: number;
  reasoning: boolean;
  /** Ask for the usage in the stream (`stream_options.include_usage`), unless false: for providers that refuse the option. */
  streamUsage?: boolean;
}

export type { TokenUsage };

/**
 * Receives the normalised upstream stream. Plain callbacks rather than an event
 * object per chunk: this sits on the per-token path.
 */
export interface UpstreamSink extends ReadDemand {
  /** Any chunk arrived, even one without text: the stream is alive. */
  seen(): void;
  content(text: string): void;
  reasoning(text: string): void;
  /** The reply's usage as the provider billed it, once the stream ends (or stops) having carried any. */
  usage(usage: BilledUsage): void;
}
