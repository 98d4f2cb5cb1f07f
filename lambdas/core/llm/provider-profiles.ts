import type { Provider } from '../models/providers.ts';

/** Which OpenAI-compatible API a provider is reached through, and its few differences. */
export type ProviderProfile =
  | {
      api: 'chat';
      /** OpenAI deprecated `max_tokens` (its reasoning models refuse it); the others still read it. */
      maxTokensParam: 'max_tokens' | 'max_completion_tokens';
      /** The OpenAI-compatible root under the host a model is configured with. */
      apiRoot(baseUrl: string): string;
    }
  | { api: 'responses'; apiRoot(baseUrl: string): string };

const asIs = (baseUrl: string) => baseUrl;

/** Ollama is configured with its host (`http://host:11434`); its OpenAI API lives under `/v1`. */
const ollamaRoot = (baseUrl: string) => {
  const trimmed = baseUrl.replace(/\/+$/, '');
  return /\/v1$/.test(trimmed) ? trimmed : `${trimmed}/v1`;
};

const CHAT: ProviderProfile = { api: 'chat', maxTokensParam: 'max_tokens', apiRoot: asIs };

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
  Cohere: CHAT,
  CometAPI: CHAT,
  DashScope: CHAT,
  DeepInfra: CHAT,
  DeepSeek: CHAT,
  Fireworks: CHAT,
  Google: CHAT,
  Groq: CHAT,
  HuggingFace: CHAT,
  LangDB: CHAT,
  LiteLLM: CHAT,
  LiteLLMOpenAI: CHAT,
  LlamaCpp: CHAT,
  LMStudio: CHAT,
  Meta: CHAT,
  Mistral: CHAT,
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
