import type { KeyCipher } from '../../crypto/key-cipher.ts';
import { setRecent } from '../../memo.ts';

/** Sent when a model has no key: local servers (Ollama, LM Studio, the offline server) ignore it. */
export const PLACEHOLDER_API_KEY = 'no-api-key';

const MAX_ENTRIES = 200;

export interface KeyCache {
  apiKey(model: { modelId: number; apiKeyCipher?: string }): Promise<string>;
}

/**
 * Plaintext API keys, decrypted once and kept in memory for `ttlMs` so KMS is not on
 * every message's path. Keyed by model id and ciphertext together: the model id is the
 * encryption context, and a ciphertext copied onto another model must still fail to
 * decrypt as KMS would make it. Concurrent requests share one decrypt; a failure is
 * not kept.
 */
export const createKeyCache = (cipher: KeyCipher, ttlMs: number, now = Date.now): KeyCache => {
  const entries = new Map<string, { expiresAt: number; key: Promise<string> }>();
  return {
    apiKey(model) {
      if (!model.apiKeyCipher) return Promise.resolve(PLACEHOLDER_API_KEY);
      const id = `${model.modelId}:${model.apiKeyCipher}`;
      const hit = entries.get(id);
      if (hit && hit.expiresAt > now()) return hit.key;
      const key = cipher.decrypt(model.apiKeyCipher, { modelId: model.modelId });
      setRecent(entries, id, { expiresAt: now() + ttlMs, key }, MAX_ENTRIES);
      key.catch(() => {
        if (entries.get(id)?.key === key) entries.delete(id);
      });
      return key;
    },
  };
};
