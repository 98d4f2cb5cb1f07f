import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createKeyCache, PLACEHOLDER_API_KEY } from '../../../../lambdas/core/chat/2-check/key-cache.ts';
import type { KeyCipher } from '../../../../lambdas/core/crypto/key-cipher.ts';
import { createLocalCipher } from '../../../../lambdas/core/crypto/local-cipher.ts';

/** The real local cipher, counting how often it is asked to decrypt. */
const countingCipher = () => {
  const inner = createLocalCipher(randomBytes(32));
  const counter = { decrypts: 0 };
  const cipher: KeyCipher = {
    description: inner.description,
    encrypt: (plain, context) => inner.encrypt(plain, context),
    decrypt: (text, context) => {
      counter.decrypts += 1;
      return inner.decrypt(text, context);
    },
  };
  return { cipher, counter };
};

describe('the API key cache', () => {
  it('decrypts once while fresh, shares a decrypt in flight, and decrypts again once expired', async () => {
    const { cipher, counter } = countingCipher();
    let now = 0;
    const cache = createKeyCache(cipher, 1000, () => now);
    const model = { modelId: 3, apiKeyCipher: await cipher.encrypt('sk-three', { modelId: 3 }) };
    expect(await Promise.all([cache.apiKey(model), cache.apiKey(model)])).toEqual(['sk-three', 'sk-three']);
    expect(await cache.apiKey(model)).toBe('sk-three');
    expect(counter.decrypts).toBe(1);
    now = 1001;
    expect(await cache.apiKey(model)).toBe('sk-three');
    expect(counter.decrypts).toBe(2);
  });

  it('keeps the encryption context: a ciphertext copied onto another model does not decrypt, even when cached', async () => {
    const { cipher } = countingCipher();
    const cache = createKeyCache(cipher, 60_000);
    const apiKeyCipher = await cipher.encrypt('sk-four', { modelId: 4 });
    expect(await cache.apiKey({ modelId: 4, apiKeyCipher })).toBe('sk-four');
    await expect(cache.apiKey({ modelId: 5, apiKeyCipher })).rejects.toThrow();
  });

  it('does not keep a failed decrypt', async () => {
    const { cipher, counter } = countingCipher();
    const cache = createKeyCache(cipher, 60_000);
    const model = { modelId: 6, apiKeyCipher: 'bm90IGEgY2lwaGVydGV4dCBhdCBhbGwgYnV0IGxvbmcgZW5vdWdo' };
    await expect(cache.apiKey(model)).rejects.toThrow();
    await expect(cache.apiKey(model)).rejects.toThrow();
    expect(counter.decrypts).toBe(2);
  });

  it('uses a placeholder for a model without a key', async () => {
    const { cipher, counter } = countingCipher();
    expect(await createKeyCache(cipher, 1000).apiKey({ modelId: 7 })).toBe(PLACEHOLDER_API_KEY);
    expect(counter.decrypts).toBe(0);
  });
});
