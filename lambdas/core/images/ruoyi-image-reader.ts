import { isImageType, sniffImageType } from './image-policy.ts';
import type { StoredImage } from './image-store.ts';

export interface RuoyiImageReaderOptions {
  /** RuoYi's API base (`RUOYI_API_URL`), without trailing slash. */
  apiUrl: string;
  timeoutMs: number;
}

export interface RuoyiImageAccess {
  /** The caller's own `Authorization` header: RuoYi decides what the caller may read. */
  authorization: string | undefined;
  /** The caller's `imageMaxSizeMb` in bytes: reading stops past it. */
  maxBytes: number;
}

/** Why RuoYi's answer is not used, for the log (never the path: it carries the user's file name). */
export type RuoyiImageRefusal = 'outside-origin' | 'redirect' | 'status' | 'type' | 'too-large' | 'not-image' | 'timeout' | 'unreachable';

export type RuoyiImageRead = { image: StoredImage } | { refused: RuoyiImageRefusal };

export interface RuoyiImageReader {
  read(path: string, access: RuoyiImageAccess): Promise<RuoyiImageRead>;
}

/**
 * What a RuoYi file route may answer with: an image type (the `/profile` static mount
 * types by extension) or `application/octet-stream` (the registered-file download route
 * types every file so). Either way the bytes must then prove to be an image.
 */
const acceptedType = (header: string | null): boolean => {
  const type = (header ?? '').split(';')[0]!.trim().toLowerCase();
  return isImageType(type) || type === 'application/octet-stream';
};

/** The body, or undefined as soon as it grows past `maxBytes` (the rest is never read). */
const readBounded = async (body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Buffer | undefined> => {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks, size);
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
};

const isTimeout = (err: unknown) => (err as Error)?.name === 'TimeoutError' || (err as Error)?.name === 'AbortError';

/**
 * Reads images the RuoYi page uploaded, from RuoYi itself, with the caller's own token:
 * RuoYi's access rules decide, as they do for the page. Its origin only, no redirects,
 * images only (declared type and signature), at most `maxBytes`, within the timeout
 * (headers and body alike). `path` must already be a checked RuoYi path.
 */
export const createRuoyiImageReader = ({ apiUrl, timeoutMs }: RuoyiImageReaderOptions): RuoyiImageReader => {
  const base = new URL(apiUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  return {
    async read(path, { authorization, maxBytes }) {
      const url = new URL(`${apiUrl}${path}`);
      // A checked path cannot move off RuoYi; this holds the line should that check ever change.
      if (url.origin !== base.origin || !url.pathname.startsWith(`${basePath}/`) || url.search || url.hash) {
        return { refused: 'outside-origin' };
      }
      try {
        const response = await fetch(url, {
          headers: authorization ? { authorization } : {},
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
        const refusal: RuoyiImageRefusal | undefined =
          response.status >= 300 && response.status < 400
            ? 'redirect'
            : response.status !== 200
              ? 'status'
              : !acceptedType(response.headers.get('content-type'))
                ? 'type'
                : Number(response.headers.get('content-length') ?? 0) > maxBytes
                  ? 'too-large'
                  : undefined;
        if (refusal || !response.body) {
          await response.body?.cancel().catch(() => {});
          return { refused: refusal ?? 'status' };
        }
        const bytes = await readBounded(response.body, maxBytes);
        if (!bytes) return { refused: 'too-large' };
        const contentType = sniffImageType(bytes);
        return contentType ? { image: { contentType, bytes } } : { refused: 'not-image' };
      } catch (err) {
        return { refused: isTimeout(err) ? 'timeout' : 'unreachable' };
      }
    },
  };
};
