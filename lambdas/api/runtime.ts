import { createImageStore } from '../core/images/create-image-store.ts';
import { memoizeAsync } from '../core/memo.ts';
import { createRuntime } from '../core/runtime.ts';
import { createStreamWarmer } from '../core/warm-ahead.ts';

/**
 * The REST function's runtime, with the whole image store (uploads and views), the audit
 * table it must have, and where the stack names the stream function, the warm-ahead.
 */
export const getApiRuntime = memoizeAsync(async () => {
  const runtime = await createRuntime(process.env, createImageStore);
  if (!runtime.tables.audit) throw new Error('configuration: AUDIT_TABLE: the api function keeps the audit trail');
  const { STREAM_FUNCTION_NAME, AWS_REGION, LAMBDA_ENDPOINT, WARM_AHEAD_EVERY_MS } = runtime.settings;
  if (!STREAM_FUNCTION_NAME) return runtime;
  return {
    ...runtime,
    streamWarmer: createStreamWarmer({ functionName: STREAM_FUNCTION_NAME, region: AWS_REGION, endpoint: LAMBDA_ENDPOINT, everyMs: WARM_AHEAD_EVERY_MS }),
  };
});
