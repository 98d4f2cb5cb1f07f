import { createImageStore } from '../core/images/create-image-store.ts';
import { memoizeAsync } from '../core/memo.ts';
import { createRuntime } from '../core/runtime.ts';

/** The REST function's runtime, with the whole image store (uploads and views). */
export const getApiRuntime = memoizeAsync(() => createRuntime(process.env, createImageStore));
