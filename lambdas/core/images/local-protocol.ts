import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';

/**
 * What the local image store and the local server's upload route agree on, in place of
 * S3's presigned POST and GET: the paths, a key file for the HMAC both sign with, and the
 * signed upload policy and view URLs.
 */
export const LOCAL_UPLOAD_PATH = '/local/uploads';
export const LOCAL_IMAGES_PATH = '/local/images';

const KEY_FILE = '.signing-key';

/** The signing key kept in the image folder, made on first use (owner-only). */
export const loadOrCreateSigningKey = (dir: string): Buffer => {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, KEY_FILE);
  try {
    writeFileSync(file, randomBytes(32).toString('base64'), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return Buffer.from(readFileSync(file, 'utf8'), 'base64');
};

// The purpose goes into every MAC so a view signature can never pass as an upload policy.
const mac = (secret: Buffer, purpose: 'upload' | 'view', data: string) => createHmac('sha256', secret).update(`${purpose}\n${data}`).digest('base64url');

const sameMac = (expected: string, given: string) => {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
};

/** What a local upload may store: the caller, the key, its type and size, until when. */
export interface UploadPolicy {
  userId: string;
  key: string;
  contentType: string;
  maxBytes: number;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export const signUploadPolicy = (secret: Buffer, policy: UploadPolicy) => {
  const encoded = Buffer.from(JSON.stringify(policy)).toString('base64url');
  return { policy: encoded, signature: mac(secret, 'upload', encoded) };
};

/** The policy if its signature holds and it has not expired. */
export const verifyUploadPolicy = (secret: Buffer, encoded: string, signature: string, now = Date.now()): UploadPolicy | undefined => {
  if (!sameMac(mac(secret, 'upload', encoded), signature)) return undefined;
  const policy = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as UploadPolicy;
  return policy.expiresAt > now ? policy : undefined;
};

/** Query string of a view URL valid until `expiresAtS` (epoch seconds). */
export const signView = (secret: Buffer, key: string, expiresAtS: number) => `exp=${expiresAtS}&sig=${mac(secret, 'view', `${key}\n${expiresAtS}`)}`;

export const verifyView = (secret: Buffer, key: string, exp: string | null, sig: string | null, nowMs = Date.now()): boolean => {
  if (!exp || !sig || !/^\d{1,12}$/.test(exp)) return false;
  return sameMac(mac(secret, 'view', `${key}\n${exp}`), sig) && Number(exp) * 1000 > nowMs;
};

/** The key as a URL path, each segment escaped. */
export const keyToUrlPath = (key: string) => key.split('/').map(encodeURIComponent).join('/');

/**
 * Where a key's file lives under `dir`; undefined for a key that could step outside it
 * (empty, `.` or `..` segments, backslashes, NUL).
 */
export const imageFilePath = (dir: string, key: string): string | undefined => {
  const segments = key.split('/');
  if (segments.some((s) => !s || s === '.' || s === '..' || /[\\\0]/.test(s))) return undefined;
  const root = resolve(dir);
  const path = resolve(root, ...segments);
  return path.startsWith(root + sep) ? path : undefined;
};
