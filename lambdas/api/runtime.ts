import { createImageStore } from '../core/images/create-image-store.ts';
import { memoizeAsync } from '../core/memo.ts';
import { createRuntime } from '../core/runtime.ts';

/** The REST function's runtime, with the whole image store (uploads and views) and the audit table it must have. */
export const getApiRuntime = memoizeAsync(async () => {
  const runtime = await createRuntime(process.env, createImageStore);
  if (!runtime.tables.audit) throw new Error('configuration: AUDIT_TABLE: the api function keeps the audit trail');
  return runtime;
});
