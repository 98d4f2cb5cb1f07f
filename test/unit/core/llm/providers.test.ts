import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startModelServer, type ModelServer } from '../../../../local/model-server.ts';
import { checkBaseUrl } from '../../../../lambdas/core/llm/base-url-guard.ts';
import { callModel } from '../../../../lambdas/core/llm/call-model.ts';
import { PROVIDER_PROFILES, profileOf } from '../../../../lambdas/core/llm/provider-profiles.ts';
import type { TokenUsage } from '../../../../lambdas/core/llm/types.ts';
import { PROVIDERS } from '../../../../lambdas/core/models/providers.ts';

let server: ModelServer;
beforeAll(async () => {
  server = await startModelServer();
});
afterAll(() => server.close());

/** One call through the real OpenAI client to the offline server, as a model of `provider` configured with `baseUrl`. */
const call = async (provider: string, baseUrl: string, reasoning = false) => {
  const profile = profileOf(provider);
  const target = await checkBaseUrl(profile.apiRoot(baseUrl), {
    allowlist: ['127.0.0.1'],
    resolve: async () => {
      throw new Error('no DNS in this test');
    },
  });
  const got = { content: '', reasoning: '', usage: undefined as TokenUsage | undefined, chunks: 0 };
  await callModel(
    {
      profile,
      target,
      apiKey: 'sk-provider-test',
      headersTimeoutMs: 10_000,
      ready: Promise.resolve(true),
      request: {
        model: `${provider}-model`,
        messages: [
          { role: 'system', text: 'Be brief.' },
          { role: 'user', text: 'hello [[interval=0]]' },
        ],
        reasoning,
        maxTokens: 64,
        temperature: 0.5,
      },
    },
    {
      seen: () => {
        got.chunks += 1;
      },
      content: (t) => {
        got.content += t;
      },
      reasoning: (t) => {
        got.reasoning += t;
      },
      usage: (u) => {
        got.usage = u.tokens;
      },
      demand: () => undefined,
    },
    new AbortController().signal,
  );
  return got;
};

describe('the provider registry', () => {
  it('has a profile for each of the 37 providers', () => {
    expect(PROVIDERS).toHaveLength(37);
    expect(Object.keys(PROVIDER_PROFILES).sort()).toEqual([...PROVIDERS].sort());
  });

  it('leaves stream_options out only for the providers known to refuse it', () => {
    const refusing = PROVIDERS.filter((p) => {
      const profile = PROVIDER_PROFILES[p];
      return profile.api === 'chat' && !profile.includeUsage;
    });
    expect(refusing).toEqual(['Cohere', 'Fireworks', 'Mistral']);
  });

  it.each([...PROVIDERS])('%s streams a reply through its OpenAI-compatible API, usage asked for where it may be', async (provider) => {
    const baseUrl = provider === 'Ollama' ? server.url.replace(/\/v1$/, '') : server.url;
    const got = await call(provider, baseUrl);
    expect(got.content).toBe('This is the offline test server, not a real model. You said: hello');
    const received = server.stats.requests.at(-1)!;
    const profile = profileOf(provider);
    if (profile.api === 'chat' && !profile.includeUsage) {
      // Refused by this provider: never sent. The offline server, like OpenAI, sends no usage unasked.
      expect(received.body).not.toHaveProperty('stream_options');
      expect(got.usage).toBeUndefined();
    } else {
      if (profile.api === 'chat') expect(received.body.stream_options).toEqual({ include_usage: true });
      expect(got.usage?.outputTokens).toBeGreaterThan(0);
    }
    expect(received.path).toBe(provider === 'OpenAIResponses' ? '/v1/responses' : '/v1/chat/completions');
    expect(received.body.model).toBe(`${provider}-model`);
    expect(received.authorization).toBe('Bearer sk-provider-test');
    expect(received.body.temperature).toBe(0.5);
  });

  it('asks for reasoning and reads it back on both APIs', async () => {
    for (const provider of ['DeepSeek', 'OpenAIResponses']) {
      const got = await call(provider, server.url, true);
      expect(got.reasoning).toBe('The user wrote a message. I will answer it plainly, as the offline test server always does.');
      expect(got.usage?.reasoningTokens).toBeGreaterThan(0);
    }
  });

  it('gives Ollama its /v1 root once, whether or not the host URL already has it', () => {
    const { apiRoot } = profileOf('Ollama');
    expect(apiRoot('http://gpu-box:11434')).toBe('http://gpu-box:11434/v1');
    expect(apiRoot('http://gpu-box:11434/')).toBe('http://gpu-box:11434/v1');
    expect(apiRoot('http://gpu-box:11434/v1')).toBe('http://gpu-box:11434/v1');
    expect(profileOf('DeepSeek').apiRoot('https://api.deepseek.com')).toBe('https://api.deepseek.com');
  });
});
