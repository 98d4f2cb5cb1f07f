import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { BYTES_PER_MB, imageTypeOfKey, isImageType, VIEW_TTL_SECONDS } from '../lambdas/core/images/image-policy.ts';
import { isOwnImageKey } from '../lambdas/core/images/image-store.ts';
import {
  imageFilePath,
  LOCAL_IMAGES_PATH,
  LOCAL_UPLOAD_PATH,
  loadOrCreateSigningKey,
  verifyUploadPolicy,
  verifyView,
} from '../lambdas/core/images/local-protocol.ts';
import { readBody } from './http-event.ts';
import type { LocalRoute } from './server.ts';

export interface UploadRouteOptions {
  /** LOCAL_IMAGE_DIR: where uploads are stored (and the signing key the local store uses). */
  dir: string;
}

/** The largest image any config allows (20 MB) plus room for the form around it. */
const MAX_FORM_BYTES = 20 * BYTES_PER_MB + 64 * 1024;

const reply = (res: ServerResponse, status: number, text: string) => {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'access-control-allow-origin': '*' }).end(text);
};

/** A refusal with the reason S3 would give in its XML error. */
class Refused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const readForm = async (req: IncomingMessage): Promise<FormData> => {
  if (Number(req.headers['content-length'] ?? 0) > MAX_FORM_BYTES) throw new Refused(413, 'EntityTooLarge');
  const body = await readBody(req, MAX_FORM_BYTES).catch(() => {
    throw new Refused(413, 'EntityTooLarge');
  });
  const contentType = req.headers['content-type'] ?? '';
  if (!contentType.startsWith('multipart/form-data')) throw new Refused(400, 'multipart/form-data expected');
  try {
    return await new Request('http://local/', { method: 'POST', headers: { 'content-type': contentType }, body: Uint8Array.from(body) }).formData();
  } catch {
    throw new Refused(400, 'malformed multipart body');
  }
};

const text = (form: FormData, name: string) => {
  const value = form.get(name);
  return typeof value === 'string' ? value : '';
};

/**
 * Checks a local presigned POST as S3 checks its policy: the signature and expiry of the
 * policy the local store issued, the key it names (under the caller's own prefix), the
 * declared image type, and the file's size within the caller's limit.
 */
const acceptUpload = async (req: IncomingMessage, dir: string, secret: Buffer): Promise<void> => {
  const form = await readForm(req);
  const policy = verifyUploadPolicy(secret, text(form, 'policy'), text(form, 'signature'));
  if (!policy) throw new Refused(403, 'AccessDenied: invalid or expired policy');
  const key = text(form, 'key');
  if (key !== policy.key || !isOwnImageKey(policy.userId, key)) throw new Refused(403, 'AccessDenied: key not allowed by the policy');
  const contentType = text(form, 'Content-Type');
  if (contentType !== policy.contentType || !isImageType(contentType)) {
    throw new Refused(403, 'AccessDenied: Content-Type not allowed by the policy');
  }
  const file = form.get('file');
  if (!(file instanceof Blob)) throw new Refused(400, 'file field missing');
  if (file.size < 1) throw new Refused(400, 'EntityTooSmall');
  if (file.size > policy.maxBytes) throw new Refused(400, 'EntityTooLarge');
  const path = imageFilePath(dir, key);
  if (!path) throw new Refused(403, 'AccessDenied: key not allowed');
  await mkdir(dirname(path), { recursive: true });
  // Written aside and renamed, so a reader never sees half a file.
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, Buffer.from(await file.arrayBuffer()));
  await rename(partial, path);
};

/** Serves a stored image to whoever holds a view URL the local store signed. */
const serveImage = async (res: ServerResponse, url: URL, dir: string, secret: Buffer): Promise<void> => {
  let key: string;
  try {
    key = url.pathname
      .slice(LOCAL_IMAGES_PATH.length + 1)
      .split('/')
      .map(decodeURIComponent)
      .join('/');
  } catch {
    throw new Refused(400, 'malformed key');
  }
  const owner = key.split('/')[1] ?? '';
  const path = imageFilePath(dir, key);
  const type = imageTypeOfKey(key);
  if (!isOwnImageKey(owner, key) || !path || !type) throw new Refused(404, 'NoSuchKey');
  if (!verifyView(secret, key, url.searchParams.get('exp'), url.searchParams.get('sig'))) {
    throw new Refused(403, 'AccessDenied: invalid or expired signature');
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Refused(404, 'NoSuchKey');
    throw err;
  }
  res
    .writeHead(200, {
      'content-type': type,
      'content-length': bytes.length,
      'cache-control': `private, max-age=${VIEW_TTL_SECONDS}`,
      'x-content-type-options': 'nosniff',
      'access-control-allow-origin': '*',
    })
    .end(bytes);
};

/**
 * The local server's stand-in for S3: `POST /local/uploads` takes the browser's multipart
 * upload of a local presigned POST (204 as S3 answers), `GET /local/images/<key>` serves a
 * stored image to a signed view URL (`?exp=&sig=`).
 */
export const createUploadRoute = ({ dir }: UploadRouteOptions): LocalRoute => {
  const secret = loadOrCreateSigningKey(dir);
  return async (req, res, url) => {
    const upload = req.method === 'POST' && url.pathname === LOCAL_UPLOAD_PATH;
    const view = req.method === 'GET' && url.pathname.startsWith(`${LOCAL_IMAGES_PATH}/`);
    if (!upload && !view) return false;
    try {
      if (upload) {
        await acceptUpload(req, dir, secret);
        res.writeHead(204, { 'access-control-allow-origin': '*' }).end();
      } else {
        await serveImage(res, url, dir, secret);
      }
    } catch (err) {
      if (!(err instanceof Refused)) throw err;
      reply(res, err.status, err.message);
    }
    return true;
  };
};
