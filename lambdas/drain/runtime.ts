import { createKeptRuns } from '../core/kept-runs/create-kept-runs.ts';
import type { DrainDeps } from '../core/kept-runs/drain.ts';
import { createDocumentClient } from '../core/db/client.ts';
import { memoizeAsync } from '../core/memo.ts';
import { readSettings } from '../core/settings.ts';

/** The drain's runtime: DynamoDB and the kept runs' bucket, nothing of auth, keys or images. */
export const getDrainDeps = memoizeAsync(async (): Promise<DrainDeps> => {
  const settings = readSettings(process.env);
  return {
    db: createDocumentClient({ endpoint: settings.DYNAMODB_ENDPOINT, region: settings.AWS_REGION }),
    tables: { models: settings.MODELS_TABLE, configs: settings.CONFIGS_TABLE, sessions: settings.SESSIONS_TABLE },
    keptRuns: createKeptRuns(settings),
  };
});
