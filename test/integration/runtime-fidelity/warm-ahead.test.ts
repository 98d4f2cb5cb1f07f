import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { WARM_AHEAD_EVENT } from '../../../lambdas/core/warm-ahead.ts';
import { ricMissing } from '../../support/lambda-runtime/ric.ts';
import { ADMIN, bearer, CHAT_USER } from '../../support/tokens.ts';
import { call, deploy, offlineModelForm, type Deployment } from './support.ts';

/**
 * Warm-ahead (lambdas/core/warm-ahead.ts) end to end: the chat page's first request to
 * the api function makes it ask, through Lambda's Invoke API, for an instance of the
 * stream function, which starts cold then; the user's send finds that instance idle
 * and warm. Both bundles run under AWS's runtime client, as in deployed-bundles.test.ts.
 */

const missing = ricMissing();
let d: Deployment;
let user: string;

const modelAll = async () => {
  const res = await call(`${d.apiUrl}/ai/model/all`, { method: 'GET', authorization: user });
  expect(await res.ended).toBe('complete');
  return JSON.parse(res.chunks.join('')) as { code: number; data: { modelId: number }[] };
};

beforeAll(async () => {
  if (missing) return;
  d = await deploy();
  user = await bearer(CHAT_USER(72));
  const admin = await bearer(ADMIN);
  const added = await call(`${d.apiUrl}/ai/model`, { body: offlineModelForm(d.modelServer.url), authorization: admin });
  expect(await added.ended).toBe('complete');
  expect(JSON.parse(added.chunks.join('')).code).toBe(200);
}, 180_000);

afterAll(() => d?.stop());

beforeEach((ctx) => {
  if (missing) ctx.skip(missing);
});

describe('warm-ahead: opening the chat page readies the stream function', () => {
  it('the page gets its models, the stream function is invoked once with the warm-ahead event and starts an instance', async () => {
    expect(d.stream.environments).toHaveLength(0);
    const page = await modelAll();
    expect(page.code).toBe(200);
    expect(page.data.length).toBeGreaterThan(0);
    expect(d.invokeApi.received).toHaveLength(1);
    const [asked] = d.invokeApi.received;
    expect(asked!.functionName).toBe('ai-chat-stream-test');
    expect(asked!.headers['x-amz-invocation-type']).toBe('Event');
    expect(JSON.parse(asked!.body)).toEqual(WARM_AHEAD_EVENT);
    await d.invokeApi.settled();
    expect(d.stream.environments).toHaveLength(1);
    expect(d.stream.environments[0]!.initDurationMs).toBeGreaterThan(0);
    // It contacted no model and stored nothing: the model server saw no request.
    expect(d.modelServer.stats.requests).toHaveLength(0);
  });

  it('the send that follows is served by that instance: no second INIT', async () => {
    await vi.waitFor(() => expect(d.stream.environments[0]!.busy).toBe(false), { timeout: 20_000 });
    const [environment] = d.stream.environments;
    const modelId = (await modelAll()).data[0]!.modelId;
    const res = await call(d.streamUrl, { body: { modelId, message: '[[interval=0]] hello' }, authorization: user });
    expect(await res.ended).toBe('complete');
    expect(res.lines().some((line) => line.type === 'content')).toBe(true);
    expect(d.stream.environments).toEqual([environment]);
    expect(environment!.invocations).toBe(2);
  });

  it('asks at most once an interval, however often the page opens', () => {
    expect(d.invokeApi.received).toHaveLength(1);
  });
});
