/** The seed's 37 provider names; every one is reached through an OpenAI-compatible API. */
export const PROVIDERS = [
  'AIMLAPI', 'Anthropic', 'Cerebras', 'CerebrasOpenAI', 'Cohere', 'CometAPI', 'DashScope',
  'DeepInfra', 'DeepSeek', 'Fireworks', 'Google', 'Groq', 'HuggingFace', 'LangDB', 'LiteLLM',
  'LiteLLMOpenAI', 'LlamaCpp', 'LMStudio', 'Meta', 'Mistral', 'N1N', 'Nebius', 'Nexus', 'Nvidia',
  'Ollama', 'OpenAI', 'OpenAIResponses', 'OpenRouter', 'Perplexity', 'Portkey', 'Requesty',
  'Sambanova', 'SiliconFlow', 'Together', 'Vercel', 'VLLM', 'xAI',
] as const;

export type Provider = (typeof PROVIDERS)[number];

export const isProvider = (value: string): value is Provider => (PROVIDERS as readonly string[]).includes(value);
