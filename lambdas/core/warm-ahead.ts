import { credentialsFor } from './db/client.ts';
import { type Credentials, keepAliveAgent, regionEndpoint, signedPost } from './db/dynamodb-http.ts';

/** What the stream function is invoked with: no request, only "have an instance ready". */
export const WARM_AHEAD_EVENT = { warmAhead: true } as const;

export const isWarmAheadEvent = (event: unknown): boolean => (event as { warmAhead?: unknown } | null)?.warmAhead === true;

/** Lambda answers an `Event` invoke once it has queued it; a page waits no longer than this for that answer. */
const INVOKE_TIMEOUT_MS = 500;

export interface StreamWarmer {
  /**
   * Asks, unless this instance asked within the interval (a failed ask counts: Lambda is
   * not asked again until the interval is over). Rejects with Lambda's refusal, or a
   * network error, within INVOKE_TIMEOUT_MS.
   */
  nudge(): Promise<void>;
}

export interface StreamWarmerOptions {
  functionName: string;
  region: string;
  /** A local stand-in for Lambda's API; absent in AWS. */
  endpoint?: string;
  everyMs: number;
  /** The function's own (Lambda's environment), or any for a stand-in. */
  credentials?: () => Credentials;
  now?: () => number;
}

/**
 * Warm-ahead: when a user opens the chat page (its first request, GET /ai/model/all),
 * the api invokes the stream function asynchronously with WARM_AHEAD_EVENT, which the
 * function answers at once. If no instance of it is idle, Lambda starts one for that
 * invocation, and its INIT (the imports, the secret, the connections, the warm-up of
 * chat-stream/handler.ts) runs while the user reads the page and types, at INIT's full
 * vCPU; the send then finds the instance warm. A quiet company's first chat of the
 * morning is where a cold start would otherwise land. An instance already idle takes
 * the invocation in a millisecond and stays the one the send gets.
 *
 * Lambda's Invoke API (`X-Amz-Invocation-Type: Event`, answered 202) over the same
 * signed wire as DynamoDB's calls (db/dynamodb-http.ts), not the SDK's Lambda client:
 * the api function would load and compile that client for this one call.
 */
export const createStreamWarmer = (options: StreamWarmerOptions): StreamWarmer => {
  const base = options.endpoint ?? regionEndpoint(options.region, 'lambda');
  const url = new URL(`/2015-03-31/functions/${options.functionName}/invocations`, base);
  const agent = keepAliveAgent(url);
  const credentials = options.credentials ?? credentialsFor(options.endpoint);
  const now = options.now ?? Date.now;
  const body = JSON.stringify(WARM_AHEAD_EVENT);
  let askedAt = Number.NEGATIVE_INFINITY;

  const invoke = async () => {
    const signing = { service: 'lambda', region: options.region, credentials: credentials() };
    const headers = { 'content-type': 'application/json', 'x-amz-invocation-type': 'Event' };
    const answer = await signedPost(url, agent, signing, headers, body, INVOKE_TIMEOUT_MS);
    if (answer.status !== 202) throw Object.assign(new Error(`Lambda answered ${answer.status}`), { name: answer.typeHeader ?? `HttpStatus${answer.status}` });
  };

  return {
    async nudge() {
      if (now() - askedAt < options.everyMs) return;
      askedAt = now();
      await invoke();
    },
  };
};
