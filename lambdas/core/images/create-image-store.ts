import type { Settings } from '../settings.ts';
import type { ImageStore } from './image-store.ts';

export const createImageStore = (_settings: Settings): ImageStore => {
  throw new Error('image store: not built yet');
};
