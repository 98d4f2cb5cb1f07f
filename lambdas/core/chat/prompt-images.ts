import type { Logger } from '@aws-lambda-powertools/logger';
import type { ImageReader } from '../images/image-store.ts';
import type { PromptImage } from '../llm/types.ts';

/**
 * Reads the attached images for the model, in order. An image that is gone or cannot
 * be read is left out, as the seed skips files it cannot open, rather than failing the turn.
 */
export const readPromptImages = async (store: ImageReader, keys: string[], log: Logger): Promise<PromptImage[]> => {
  const images = await Promise.all(
    keys.map((key) =>
      store.read(key).catch((err: unknown) => {
        log.warn('attached image unreadable', { imageKey: key, errorName: (err as Error)?.name });
        return null;
      }),
    ),
  );
  return images.flatMap((image, i) => {
    if (!image) {
      if (image === undefined) log.warn('attached image missing', { imageKey: keys[i] });
      return [];
    }
    return [{ contentType: image.contentType, base64: image.bytes.toString('base64') }];
  });
};
