import { lazyS3Client } from '../images/s3-image-reader.ts';
import type { Settings } from '../settings.ts';
import type { KeptRuns } from './kept-run.ts';
import { createSqsKeptRunQueue } from './kept-run-queue.ts';
import type { KeptRunStore } from './kept-run-store.ts';
import { createLocalKeptRunStore } from './local-kept-run-store.ts';
import { createS3KeptRunStore } from './s3-kept-run-store.ts';

const objectStore = (settings: Settings): KeptRunStore => {
  if (settings.LOCAL_KEPT_RUNS_DIR) return createLocalKeptRunStore(settings.LOCAL_KEPT_RUNS_DIR);
  if (settings.KEPT_RUNS_BUCKET) return createS3KeptRunStore({ client: lazyS3Client(settings.AWS_REGION), bucket: settings.KEPT_RUNS_BUCKET });
  throw new Error('configuration: set KEPT_RUNS_BUCKET or LOCAL_KEPT_RUNS_DIR');
};

/** The kept-runs queue and bucket the settings name (the local stand-ins when SQS_ENDPOINT / LOCAL_KEPT_RUNS_DIR are set). */
export const createKeptRuns = (settings: Settings): KeptRuns => {
  if (!settings.KEPT_RUNS_QUEUE_URL) throw new Error('configuration: set KEPT_RUNS_QUEUE_URL');
  return {
    queue: createSqsKeptRunQueue({ region: settings.AWS_REGION, queueUrl: settings.KEPT_RUNS_QUEUE_URL, endpoint: settings.SQS_ENDPOINT }),
    objects: objectStore(settings),
  };
};
