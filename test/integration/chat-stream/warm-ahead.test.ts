import { beforeAll, describe, expect, it } from 'vitest';
import { WARM_AHEAD_EVENT } from '../../../lambdas/core/warm-ahead.ts';
import { setUpChatStream, type ChatStreamHarness } from './support.ts';

/**
 * The api's ask for a ready instance (lambdas/core/warm-ahead.ts) reaches the stream
 * handler as an event of its own: answered at once, with nothing read, written or sent
 * to a provider. test/integration/runtime-fidelity/warm-ahead.test.ts runs the whole way
 * through Lambda's Invoke API and the runtime client.
 */
let h: ChatStreamHarness;

beforeAll(async () => {
  h = await setUpChatStream();
});

describe('the warm-ahead event', () => {
  it('is answered at once with an empty 204, touching neither DynamoDB nor a provider', async () => {
    const calls: string[] = [];
    const release = h.runtime.db.use((next) => (operation, input) => {
      calls.push(operation);
      return next(operation, input);
    });
    try {
      const { capture, done } = h.invoke(WARM_AHEAD_EVENT);
      await done;
      expect(capture.prelude).toEqual({ statusCode: 204, headers: {} });
      expect(capture.raw).toBe('');
    } finally {
      release();
    }
    expect(calls).toEqual([]);
    expect(h.modelServer.stats.requests).toHaveLength(0);
  });

  it('is told from a request by its own key only: a function URL event with a warmAhead body is a request', async () => {
    const capture = await h.send(WARM_AHEAD_EVENT);
    expect(capture.envelope).toMatchObject({ code: 401 });
  });
});
