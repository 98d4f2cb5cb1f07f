import { lazyS3Client } from '../images/s3-image-reader.ts';
import type { Settings } from '../settings.ts';
import type { KeptRunStore } from './kept-run-store.ts';
import { createLocalKeptRunStore } from './local-kept-run-store.ts';
import { createS3KeptRunStore } from './s3-kept-run-store.ts';

/** The local folder when LOCAL_KEPT_RUNS_DIR is set (the local stack, tests), the bucket otherwise. */
export const createKeptRunStore = (settings: Settings): KeptRunStore => {
  if (settings.LOCAL_KEPT_RUNS_DIR) return createLocalKeptRunStore(settings.LOCAL_KEPT_RUNS_DIR);
  if (settings.KEPT_RUNS_BUCKET) return createS3KeptRunStore({ client: lazyS3Client(settings.AWS_REGION), bucket: settings.KEPT_RUNS_BUCKET });
  throw new Error('configuration: set KEPT_RUNS_BUCKET or LOCAL_KEPT_RUNS_DIR');
};
