/**
 * Encrypts model API keys at rest. The context names the model the key belongs to,
 * so a ciphertext copied onto another model does not decrypt.
 */
export interface KeyCipher {
  encrypt(plaintext: string, context: CipherContext): Promise<string>;
  decrypt(ciphertext: string, context: CipherContext): Promise<string>;
  /** Shown in the local start banner. */
  readonly description: string;
  /** Loads and builds what the first decrypt would (a cold start's INIT does it ahead); without it, there is nothing to load. */
  warm?(): Promise<void>;
}

export interface CipherContext {
  modelId: number;
}

export const encryptionContext = (context: CipherContext): Record<string, string> => ({
  modelId: String(context.modelId),
});
