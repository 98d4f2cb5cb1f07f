import type { Provider } from '../models/providers.ts';

export interface ChatProfile {
  api: 'chat';
  /** OpenAI deprecated `max_tokens` (its reasoning models refuse it); the others still read it. */
  maxTokensParam: 'max_tokens' | 'max_completion_tokens';
  /**
   * Whether the request asks for usage in the stream (`stream_options.include_usage`):
   * OpenAI, vLLM, Ollama and llama.cpp send none without it, others send it anyway or
   * ignore the option, and a few refuse the whole request when it is there.
   */
  includeUsage: boolean;
  /** The OpenAI-compatible root under the host a model is configured with. */
  apiRoot(baseUrl: string): string;
}

/** Which OpenAI-compatible API a provider is reached through, and its few differences. */
export type ProviderProfile = ChatProfile | { api: 'responses'; apiRoot(baseUrl: string): string };

const asIs = (baseUrl: string) => baseUrl;

/** Ollama is configured with its host (`http://host:11434`); its OpenAI API lives under `/v1`. */
const ollamaRoot = (baseUrl: string) => {
  const trimmed = baseUrl.replace(/\/+$/, '');
  return /\/v1$/.test(trimmed) ? trimmed : `${trimmed}/v1`;
};

const CHAT: ChatProfile = { api: 'chat', maxTokensParam: 'max_tokens', includeUsage: true, apiRoot: asIs };

/**
 * For providers whose API refuses `stream_options`: the request would fail before any
 * token. Mistral and Fireworks send usage unasked on their last chunk; Cohere's is not known.
 */
const CHAT_NO_STREAM_OPTIONS: ChatProfile = { ...CHAT, includeUsage: false };

/**
 * Every one of the seed's 37 providers: all speak the OpenAI chat-completions API at the
 * model's base URL, except where listed. Keyed by `Provider`, so a provider added to
 * the list without a profile fails the type check.
 */
export const PROVIDER_PROFILES: Record<Provider, ProviderProfile> = {
  AIMLAPI: CHAT,
  Anthropic: CHAT,
  Cerebras: CHAT,
  CerebrasOpenAI: CHAT,
  // "Cohere's Compatibility API rejects the stream_options request field" (strandsagents.com, Cohere model provider page).
  Cohere: CHAT_NO_STREAM_OPTIONS,
  CometAPI: CHAT,
  DashScope: CHAT,
  DeepInfra: CHAT,
  DeepSeek: CHAT,
  // 400 "Extra inputs are not permitted, field: 'stream_options'" (FlowiseAI/Flowise#2866, 2024); a stream recorded
  // unasked in 2025 still ends with usage on its finish chunk (llama-stack's Fireworks recordings).
  Fireworks: CHAT_NO_STREAM_OPTIONS,
  Google: CHAT,
  Groq: CHAT,
  HuggingFace: CHAT,
  LangDB: CHAT,
  LiteLLM: CHAT,
  LiteLLMOpenAI: CHAT,
  LlamaCpp: CHAT,
  LMStudio: CHAT,
  Meta: CHAT,
  // 422 extra_forbidden on body.stream_options.include_usage (avante.nvim#2347, 2025); usage comes unasked on the
  // last chunk (test/fixtures/providers/mistral).
  Mistral: CHAT_NO_STREAM_OPTIONS,
  N1N: CHAT,
  Nebius: CHAT,
  Nexus: CHAT,
  Nvidia: CHAT,
  Ollama: { ...CHAT, apiRoot: ollamaRoot },
  OpenAI: { ...CHAT, maxTokensParam: 'max_completion_tokens' },
  OpenAIResponses: { api: 'responses', apiRoot: asIs },
  OpenRouter: CHAT,
  Perplexity: CHAT,
  Portkey: CHAT,
  Requesty: CHAT,
  Sambanova: CHAT,
  SiliconFlow: CHAT,
  Together: CHAT,
  Vercel: CHAT,
  VLLM: CHAT,
  xAI: CHAT,
};

/** Providers are validated when a model is saved; an unknown one read back from storage falls back to plain chat. */
export const profileOf = (provider: string): ProviderProfile => (PROVIDER_PROFILES as Record<string, ProviderProfile | undefined>)[provider] ?? CHAT;
