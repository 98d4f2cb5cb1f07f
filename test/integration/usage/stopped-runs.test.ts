import { beforeAll, describe, expect, it } from 'vitest';
import { setUpBothFunctions, type Api } from '../robustness/support/corpus.ts';
import { upstreamRequest, type ChatStreamHarness } from '../chat-stream/support.ts';
import { bearer, CHAT_USER } from '../../support/tokens.ts';
import { counterDifferences, readUsageState } from './support/audit.ts';

/**
 * Stopped and failed runs are counted: the provider's usage where it sends it (a stopped
 * reply of a model set to wait for it reads on briefly), an estimate marked so otherwise,
 * never 0 for a reply that streamed text.
 */

let h: ChatStreamHarness;
let api: Api;
let user: string;

beforeAll(async () => {
  ({ h, api } = await setUpBothFunctions());
  user = await bearer(CHAT_USER(561));
});

const entryOf = async (runId: string) => (await readUsageState(h.runtime)).entries.find((e) => e.runId === runId);

/** A run cancelled through the API once `after` content lines arrived. */
const cancelledRun = async (modelId: number, message: string, after = 3) => {
  const { capture, done } = h.open({ modelId, message }, { authorization: user });
  await capture.until((lines) => lines.filter((l) => l.type === 'content').length >= after);
  const runId = capture.lines[1]!.run_id as string;
  expect((await api({ method: 'POST', path: '/ai/chat/cancel', authorization: user, body: { runId } })).json.code).toBe(200);
  await done;
  return { capture, runId };
};

describe('a stopped run', () => {
  it('of a model set to wait for its usage: reads on for it, counts what the provider generated, relays none of it', async () => {
    const model = await h.addModel({ usageOnStop: 'Y' });
    const { capture, runId } = await cancelledRun(model.modelId, '[[interval=10 chunks=120]] wait for usage');
    const shown = capture.ofType('content').length;
    expect(shown).toBeLessThan(120);
    const entry = await entryOf(runId);
    expect(entry).toMatchObject({ outcome: 'cancelled', source: 'provider', outputTokens: 120 });
    expect(capture.ofType('content').length).toBe(shown);
  });

  it('of a model that does not wait: estimated from the prompt and what streamed, marked so', async () => {
    const model = await h.addModel();
    const { capture, runId } = await cancelledRun(model.modelId, '[[interval=20 chunks=400]] estimate me');
    const entry = await entryOf(runId);
    expect(entry).toMatchObject({ outcome: 'cancelled', source: 'estimated', estimate: 'streamed-text' });
    expect(entry!.outputTokens).toBeGreaterThanOrEqual(1);
    expect(entry!.outputTokens).toBeLessThanOrEqual(capture.text('content').length);
    expect(entry!.inputTokens).toBeGreaterThan(0);
  });
});

describe('a failed run', () => {
  it('before any text (the provider refused): counted as a run, with nothing', async () => {
    const model = await h.addModel();
    const out = await h.send({ modelId: model.modelId, message: '[[status=500]] refused' }, { authorization: user });
    expect(await entryOf(out.lines[1]!.run_id as string)).toMatchObject({ outcome: 'failed', estimate: 'no-reply', inputTokens: 0, outputTokens: 0 });
  });

  it('during the reply: what streamed, estimated, never 0', async () => {
    const model = await h.addModel();
    const out = await h.send({ modelId: model.modelId, message: '[[interval=0 error_after=4]] broken' }, { authorization: user });
    const entry = await entryOf(out.lines[1]!.run_id as string);
    expect(entry).toMatchObject({ outcome: 'failed', source: 'estimated', estimate: 'streamed-text' });
    expect(entry!.outputTokens).toBeGreaterThan(0);
  });
});

describe('a model set not to ask for usage in the stream', () => {
  it('sends no stream_options; with no usage given, the completed run is estimated', async () => {
    const model = await h.addModel({ streamUsage: 'N' });
    const out = await h.send({ modelId: model.modelId, message: '[[interval=0]] no options' }, { authorization: user });
    expect(upstreamRequest(h.modelServer).body.stream_options).toBeUndefined();
    expect(await entryOf(out.lines[1]!.run_id as string)).toMatchObject({ outcome: 'completed', source: 'estimated', estimate: 'streamed-text' });
  });

  it('a model left as it was asks for it', async () => {
    const model = await h.addModel();
    await h.send({ modelId: model.modelId, message: '[[interval=0]] options' }, { authorization: user });
    expect(upstreamRequest(h.modelServer).body.stream_options).toEqual({ include_usage: true });
    expect(counterDifferences(await readUsageState(h.runtime))).toEqual([]);
  });
});
