import { randomBytes } from 'node:crypto';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as kmsSdk from '@aws-sdk/client-kms';
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { createKmsCipher } from '../../../../lambdas/core/crypto/kms-cipher.ts';
import { createLocalCipher, loadOrCreateLocalKey } from '../../../../lambdas/core/crypto/local-cipher.ts';

describe('KMS cipher (KMS cannot run here: the client is mocked to pin the calls)', () => {
  it('encrypts and decrypts with the model id as encryption context', async () => {
    const kms = mockClient(KMSClient);
    kms.on(EncryptCommand).resolves({ CiphertextBlob: new Uint8Array([1, 2, 3]) });
    kms.on(DecryptCommand).resolves({ Plaintext: new TextEncoder().encode('sk-plain') });
    const cipher = createKmsCipher({ keyId: 'alias/ai-chat', region: 'us-east-1' });

    const stored = await cipher.encrypt('sk-plain', { modelId: 7 });
    expect(stored).toBe(Buffer.from([1, 2, 3]).toString('base64'));
    const enc = kms.commandCalls(EncryptCommand)[0]!.args[0].input;
    expect(enc.KeyId).toBe('alias/ai-chat');
    expect(enc.EncryptionContext).toEqual({ modelId: '7' });
    expect(new TextDecoder().decode(enc.Plaintext)).toBe('sk-plain');

    expect(await cipher.decrypt(stored, { modelId: 7 })).toBe('sk-plain');
    const dec = kms.commandCalls(DecryptCommand)[0]!.args[0].input;
    expect(dec.EncryptionContext).toEqual({ modelId: '7' });
    expect(Buffer.from(dec.CiphertextBlob!)).toEqual(Buffer.from([1, 2, 3]));
    kms.restore();
  });
});

describe('KMS cipher: the SDK is loaded on first use', () => {
  it('loads nothing when made, loads once for many calls, and retries a load that failed', async () => {
    const kms = mockClient(KMSClient);
    kms.on(EncryptCommand).resolves({ CiphertextBlob: new Uint8Array([4]) });
    kms.on(DecryptCommand).resolves({ Plaintext: new TextEncoder().encode('sk') });
    let loads = 0;
    const loadSdk = async () => {
      loads += 1;
      if (loads === 1) throw new Error('chunk failed to load');
      return kmsSdk;
    };
    const cipher = createKmsCipher({ keyId: 'alias/ai-chat', region: 'us-east-1', loadSdk });
    expect(loads).toBe(0);

    await expect(cipher.decrypt('BA==', { modelId: 1 })).rejects.toThrow('chunk failed to load');
    const [stored, plain] = await Promise.all([cipher.encrypt('sk', { modelId: 1 }), cipher.decrypt('BA==', { modelId: 1 })]);
    expect(stored).toBe('BA==');
    expect(plain).toBe('sk');
    await cipher.decrypt(stored, { modelId: 1 });
    expect(loads).toBe(2);
    expect(kms.send.thisValues[0]).toBe(kms.send.thisValues.at(-1));
    kms.restore();
  });
});

describe('local cipher', () => {
  it('round-trips and fails for another model id or a tampered ciphertext', async () => {
    const cipher = createLocalCipher(randomBytes(32));
    const stored = await cipher.encrypt('密钥 sk-123', { modelId: 3 });
    expect(stored).not.toContain('sk-123');
    expect(await cipher.decrypt(stored, { modelId: 3 })).toBe('密钥 sk-123');
    await expect(cipher.decrypt(stored, { modelId: 4 })).rejects.toThrow();
    const raw = Buffer.from(stored, 'base64');
    raw[raw.length - 1]! ^= 1;
    await expect(cipher.decrypt(raw.toString('base64'), { modelId: 3 })).rejects.toThrow();
  });

  it('keeps its key in a 0600 file and reuses it', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cipher-')), 'sub', 'key');
    const key = loadOrCreateLocalKey(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadOrCreateLocalKey(file)).toEqual(key);
    const stored = await createLocalCipher(key).encrypt('x', { modelId: 1 });
    expect(await createLocalCipher(loadOrCreateLocalKey(file)).decrypt(stored, { modelId: 1 })).toBe('x');
  });
});

describe('KMS cipher: warmed ahead of the first decrypt', () => {
  it('loads the SDK and builds the client once, for the warm-up and the decrypts after it', async () => {
    const kms = mockClient(KMSClient);
    kms.on(DecryptCommand).resolves({ Plaintext: new TextEncoder().encode('sk') });
    let loads = 0;
    const loadSdk = async () => {
      loads += 1;
      return kmsSdk;
    };
    const cipher = createKmsCipher({ keyId: 'alias/ai-chat', region: 'us-east-1', loadSdk });
    await cipher.warm!();
    expect(loads).toBe(1);
    expect(kms.calls()).toHaveLength(0);
    expect(await cipher.decrypt('BA==', { modelId: 1 })).toBe('sk');
    expect(loads).toBe(1);
    kms.restore();
  });
});
