import { beforeAll, describe, expect, it } from 'vitest';
import { deleteModelItems, replaceModel } from '../../../lambdas/core/models/repository.ts';
import type { StoredModel } from '../../../lambdas/core/models/schema.ts';
import { startModelServer, type ModelServer } from '../../../local/model-server.ts';
import { bearer, CHAT_USER } from '../../support/tokens.ts';
import { setUpChatStream, type ChatStreamHarness } from './support.ts';
import { REFUSAL_MSG } from '../../../lambdas/core/wire/messages.ts';

/**
 * No byte of a user's message reaches a provider before every check passed on fresh
 * data: a user who chatted a moment ago, whose model was then disabled, deleted or
 * repointed, or who hit the rate limit, sends nothing to the old endpoint. The model
 * server records every request it receives.
 */
let h: ChatStreamHarness;
let other: ModelServer;
const USER = 91;
const SENDS_PER_MINUTE = 4;

beforeAll(async () => {
  h = await setUpChatStream({ RATE_LIMIT_SENDS_PER_MINUTE: String(SENDS_PER_MINUTE) });
  other = await startModelServer();
  return () => other.close();
});

/** A user who just chatted with a fresh model, and a way to send again as that user. */
const chattedJustNow = async (user: number) => {
  const model = await h.addModel();
  const authorization = await bearer(CHAT_USER(user));
  const send = (message: string) => h.send({ modelId: model.modelId, message }, { authorization });
  expect((await send('[[interval=0]] accepted')).ofType('metrics')).toHaveLength(1);
  return { model, send };
};

describe('no provider contact before the checks', () => {
  it.each([
    ['disabled', (m: StoredModel) => replaceModel(h.runtime, { ...m, status: '1' }), REFUSAL_MSG.modelDisabled],
    ['deleted', (m: StoredModel) => deleteModelItems(h.runtime, [m.modelId]), REFUSAL_MSG.modelMissing],
  ])('a model %s a moment after a chat receives nothing more', async (_, change, msg) => {
    const { model, send } = await chattedJustNow(USER + (msg === REFUSAL_MSG.modelDisabled ? 0 : 1));
    await change(model);
    const before = h.modelServer.stats.requests.length;
    const refused = await send('[[interval=0]] secret after the change');
    expect(refused.envelope).toMatchObject({ code: 500, msg });
    expect(h.modelServer.stats.requests.length).toBe(before);
  });

  it('a repointed model: the old endpoint receives nothing, the new one the message', async () => {
    const { model, send } = await chattedJustNow(USER + 2);
    await replaceModel(h.runtime, { ...model, baseUrl: other.url });
    const before = h.modelServer.stats.requests.length;
    const out = await send('[[interval=0]] after the move');
    expect(out.ofType('metrics')).toHaveLength(1);
    expect(h.modelServer.stats.requests.length).toBe(before);
    expect(JSON.stringify(other.stats.requests.at(-1)!.body)).toContain('after the move');
  });

  it('rate-limited sends reach the provider only while they are accepted', async () => {
    const { send } = await chattedJustNow(USER + 3);
    const before = h.modelServer.stats.requests.length;
    const outs = [];
    for (let i = 0; i < SENDS_PER_MINUTE + 3; i++) outs.push(await send(`[[interval=0]] send ${i}`));
    const accepted = outs.filter((o) => o.isStream).length;
    expect(outs.filter((o) => !o.isStream).map((o) => o.envelope.code)).toEqual(Array(outs.length - accepted).fill(429));
    expect(accepted).toBeLessThan(outs.length);
    expect(h.modelServer.stats.requests.length - before).toBe(accepted);
  });
});
