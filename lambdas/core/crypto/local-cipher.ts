import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { encryptionContext, type CipherContext, type KeyCipher } from './key-cipher.ts';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Stand-in for KMS on the local stack: AES-256-GCM with the encryption context as
 * additional authenticated data, so it fails on a foreign model exactly as KMS does.
 */
export const createLocalCipher = (key: Buffer, where = 'in memory'): KeyCipher => {
  if (key.length !== 32) throw new Error('local cipher key must be 32 bytes');
  const aad = (context: CipherContext) => Buffer.from(JSON.stringify(encryptionContext(context)));
  return {
    description: `local AES-256-GCM cipher (key ${where}), standing in for KMS`,
    async encrypt(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(aad(context));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
    },
    async decrypt(ciphertext, context) {
      const raw = Buffer.from(ciphertext, 'base64');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(aad(context));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    },
  };
};

/** Reads the local key file, creating it (mode 0600) on first use. */
export const loadOrCreateLocalKey = (file: string): Buffer => {
  try {
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  } catch {
    const key = randomBytes(32);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, key.toString('base64'), { mode: 0o600 });
    return key;
  }
};
