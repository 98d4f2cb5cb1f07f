import type { KMSClient } from '@aws-sdk/client-kms';
import { memoizeAsync } from '../memo.ts';
import { encryptionContext, type CipherContext, type KeyCipher } from './key-cipher.ts';

type KmsSdk = typeof import('@aws-sdk/client-kms');

export interface KmsCipherOptions {
  keyId: string;
  region: string;
  /** The SDK module; a test passes a failing one to prove a failed load is retried. */
  loadSdk?: () => Promise<KmsSdk>;
}

/**
 * KMS with an encryption context; ciphertexts are stored base64-encoded. The SDK is
 * imported and the client built on the first encrypt or decrypt, or by `warm` ahead of
 * it (the stream function's INIT); a failed load is retried.
 */
export const createKmsCipher = ({ keyId, region, loadSdk = () => import('@aws-sdk/client-kms') }: KmsCipherOptions): KeyCipher => {
  const connect = memoizeAsync(async (): Promise<{ sdk: KmsSdk; client: KMSClient }> => {
    const sdk = await loadSdk();
    return { sdk, client: new sdk.KMSClient({ region }) };
  });
  return {
    description: `AWS KMS key ${keyId}`,
    warm: async () => void (await connect()),
    async encrypt(plaintext: string, context: CipherContext) {
      const { sdk, client } = await connect();
      const out = await client.send(
        new sdk.EncryptCommand({
          KeyId: keyId,
          Plaintext: new TextEncoder().encode(plaintext),
          EncryptionContext: encryptionContext(context),
        }),
      );
      return Buffer.from(out.CiphertextBlob!).toString('base64');
    },
    async decrypt(ciphertext: string, context: CipherContext) {
      const { sdk, client } = await connect();
      const out = await client.send(
        new sdk.DecryptCommand({
          KeyId: keyId,
          CiphertextBlob: Buffer.from(ciphertext, 'base64'),
          EncryptionContext: encryptionContext(context),
        }),
      );
      return new TextDecoder().decode(out.Plaintext);
    },
  };
};
