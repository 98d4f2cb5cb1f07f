/**
 * Encrypts model API keys at rest. The context names the model the key belongs to,
 * so a ciphertext copied onto another model does not decrypt.
 */
export interface KeyCipher {
  encrypt(plaintext: string, context: CipherContext): Promise<string>;
  decrypt(ciphertext: string, context: CipherContext): Promise<string>;
  /** Shown in the local start banner. */
  readonly description: string;
}

export interface CipherContext {
  modelId: number;
}

export const encryptionContext = (context: CipherContext): Record<string, string> => ({
  modelId: String(context.modelId),
});
