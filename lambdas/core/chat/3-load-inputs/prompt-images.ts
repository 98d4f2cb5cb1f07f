import type { RequestLog } from '../../observability/request-log.ts';
import type { ImageRef } from '../../images/image-refs.ts';
import type { ImageReader, StoredImage } from '../../images/image-store.ts';
import type { RuoyiImageAccess, RuoyiImageReader } from '../../images/ruoyi-image-reader.ts';
import type { PromptImage } from '../../llm/types.ts';

export interface PromptImageSources {
  /** Our own store (S3, or the local folder). */
  store: ImageReader;
  /** RuoYi, when one is configured (`RUOYI_API_URL`); its paths are only accepted then. */
  ruoyi: RuoyiImageReader | undefined;
}

const fromStore = (store: ImageReader, key: string, log: RequestLog): Promise<StoredImage | undefined> =>
  store.read(key).then(
    (image) => {
      if (!image) log.warn('attached image missing', { imageKey: key });
      return image;
    },
    (err: unknown) => {
      log.warn('attached image unreadable', { imageKey: key, errorName: (err as Error)?.name });
      return undefined;
    },
  );

const fromRuoyi = async (ruoyi: RuoyiImageReader | undefined, path: string, access: RuoyiImageAccess, log: RequestLog, index: number) => {
  if (!ruoyi) return undefined;
  const read = await ruoyi.read(path, access);
  if ('image' in read) return read.image;
  // The path names the user's file: the log gets its position and the reason only.
  log.warn('attached RuoYi image refused', { imageIndex: index, reason: read.refused });
  return undefined;
};

/**
 * Reads the attached images for the model, in order. An image that is gone, cannot be
 * read or that RuoYi does not hand over (not the caller's, not an image, too large, too
 * slow) is left out, as the seed skips files it cannot open, rather than failing the turn.
 */
export const readPromptImages = async (
  sources: PromptImageSources,
  refs: readonly ImageRef[],
  access: RuoyiImageAccess,
  log: RequestLog,
): Promise<PromptImage[]> => {
  const images = await Promise.all(
    refs.map((ref, i) => (ref.source === 'store' ? fromStore(sources.store, ref.key, log) : fromRuoyi(sources.ruoyi, ref.path, access, log, i))),
  );
  return images.flatMap((image) => (image ? [{ contentType: image.contentType, base64: image.bytes.toString('base64') }] : []));
};
