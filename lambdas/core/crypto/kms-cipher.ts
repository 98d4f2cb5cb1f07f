import { DecryptCommand, EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import { encryptionContext, type CipherContext, type KeyCipher } from './key-cipher.ts';

/** KMS with an encryption context; ciphertexts are stored base64-encoded. */
export const createKmsCipher = (kms: KMSClient, keyId: string): KeyCipher => ({
  description: `AWS KMS key ${keyId}`,
  async encrypt(plaintext: string, context: CipherContext) {
    const out = await kms.send(
      new EncryptCommand({
        KeyId: keyId,
        Plaintext: new TextEncoder().encode(plaintext),
        EncryptionContext: encryptionContext(context),
      }),
    );
    return Buffer.from(out.CiphertextBlob!).toString('base64');
  },
  async decrypt(ciphertext: string, context: CipherContext) {
    const out = await kms.send(
      new DecryptCommand({
        KeyId: keyId,
        CiphertextBlob: Buffer.from(ciphertext, 'base64'),
        EncryptionContext: encryptionContext(context),
      }),
    );
    return new TextDecoder().decode(out.Plaintext);
  },
});
