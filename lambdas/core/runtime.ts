import { resolveAuthSettings } from './auth/auth-settings.ts';
import { createTokenVerifier, type TokenVerifier } from './auth/token-verifier.ts';
import { createKmsCipher } from './crypto/kms-cipher.ts';
import type { KeyCipher } from './crypto/key-cipher.ts';
import { createLocalCipher, loadOrCreateLocalKey } from './crypto/local-cipher.ts';
import { createDocumentClient, type DocumentClient } from './db/client.ts';
import type { ImageReader, ImageStore } from './images/image-store.ts';
import { readSettings, type Settings } from './settings.ts';
import { useTimeZone } from './time.ts';
import type { StreamWarmer } from './warm-ahead.ts';

export interface Tables {
  models: string;
  configs: string;
  sessions: string;
  /** The audit trail: set for the api function, absent for the stream. */
  audit?: string;
}

/**
 * What the core needs from the outside world, built once per process. `Images` is as
 * much of the image store as the function may use: the chat stream only reads.
 */
export interface Runtime<Images extends ImageReader = ImageStore> {
  settings: Settings;
  db: DocumentClient;
  tables: Tables;
  cipher: KeyCipher;
  verifyToken: TokenVerifier;
  images: Images;
  /** Asks the stream function for a ready instance (warm-ahead.ts): the api's (api/runtime.ts), where STREAM_FUNCTION_NAME is set. */
  streamWarmer?: StreamWarmer;
}

const createCipher = (settings: Settings): KeyCipher => {
  if (settings.KMS_KEY_ID) return createKmsCipher({ keyId: settings.KMS_KEY_ID, region: settings.AWS_REGION });
  if (settings.LOCAL_CIPHER_KEY_FILE) {
    return createLocalCipher(loadOrCreateLocalKey(settings.LOCAL_CIPHER_KEY_FILE), settings.LOCAL_CIPHER_KEY_FILE);
  }
  throw new Error('configuration: set KMS_KEY_ID or LOCAL_CIPHER_KEY_FILE');
};

/** Each handler passes its own image factory, so this module imports none (and no presigner). */
export const createRuntime = async <Images extends ImageReader>(
  env: NodeJS.ProcessEnv,
  createImages: (settings: Settings) => Images,
): Promise<Runtime<Images>> => {
  const settings = readSettings(env);
  useTimeZone(settings.TIME_ZONE);
  return {
    settings,
    db: createDocumentClient({ endpoint: settings.DYNAMODB_ENDPOINT, region: settings.AWS_REGION }),
    tables: { models: settings.MODELS_TABLE, configs: settings.CONFIGS_TABLE, sessions: settings.SESSIONS_TABLE, audit: settings.AUDIT_TABLE },
    cipher: createCipher(settings),
    verifyToken: createTokenVerifier(await resolveAuthSettings(settings)),
    images: createImages(settings),
  };
};
