import { createImageReader } from '../core/images/create-image-reader.ts';
import { memoizeAsync } from '../core/memo.ts';
import { createRuntime } from '../core/runtime.ts';

/** The stream function's runtime: it only reads images, so it gets a reader. */
export const getStreamRuntime = memoizeAsync(() => createRuntime(process.env, createImageReader));
