import { describe, expect, it } from 'vitest';
import { createModelClient } from '../../../../lambdas/core/llm/client.ts';

const target = (href: string, address = '203.0.113.7') => ({ url: new URL(href), addresses: [{ address, family: 4 as const }] });

describe('createModelClient', () => {
  it('reuses the client of the same checked target, key and timeout, and makes another for any difference', async () => {
    const options = { target: target('https://api.example.com/v1/'), apiKey: 'sk-a', timeoutMs: 1000 };
    const client = await createModelClient(options);
    expect(await createModelClient({ ...options, target: target('https://api.example.com/v1/') })).toBe(client);
    expect(await createModelClient({ ...options, apiKey: 'sk-b' })).not.toBe(client);
    expect(await createModelClient({ ...options, target: target('https://api.example.com/v1/', '203.0.113.8') })).not.toBe(client);
    expect(await createModelClient({ ...options, timeoutMs: 2000 })).not.toBe(client);
    expect(client.apiKey).toBe('sk-a');
    expect(client.baseURL).toBe('https://api.example.com/v1/');
  });
});
