import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { KeptRunStore } from './kept-run-store.ts';

/**
 * Kept runs as files of a local folder, the local stack's stand-in for the kept-runs
 * bucket: a put is written to a temporary name and renamed, so a reader never sees half
 * a run, as S3 never shows half an object. The local stack's notifier tells its queue of
 * new files (local/kept-runs.ts), as S3 notifies the queue in AWS.
 */
export const createLocalKeptRunStore = (dir: string): KeptRunStore => {
  const root = resolve(dir);
  const pathOf = (key: string) => {
    const path = resolve(root, key);
    if (!path.startsWith(root + sep)) throw new Error(`kept run key outside the folder: ${key}`);
    return path;
  };
  return {
    async put(key, body) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      const partial = join(dirname(path), `.${process.pid}-${Date.now()}.partial`);
      await writeFile(partial, body, { flush: true });
      await rename(partial, path);
    },
    async get(key) {
      try {
        return await readFile(pathOf(key), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
  };
};
