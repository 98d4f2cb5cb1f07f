import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { saveChatConfig } from '../../../lambdas/core/configs/repository.ts';
import { getSessionHeader, loadRuns } from '../../../lambdas/core/sessions/run-store.ts';
import { listSessions } from '../../../lambdas/core/sessions/session-list.ts';
import { sessionTitle } from '../../../lambdas/core/sessions/title.ts';
import { partitionItems, seedSession } from '../chat-api/seed.ts';
import { bearer, CHAT_USER } from '../../support/tokens.ts';
import { setUpChatStream, upstreamRequest, type ChatStreamHarness } from './support.ts';
import { REFUSAL_MSG } from '../../../lambdas/core/wire/messages.ts';

/**
 * RuoYi's 新建对话 makes the session id up (`uuidv4()`) and sends it with the first
 * message: a well-formed id that does not exist yet starts a session under that id for
 * the caller, claimed conditionally in the checks' round, so two users can never share
 * one and the loser's message never reaches the provider.
 */
let h: ChatStreamHarness;
const FAST = '[[interval=0]]';

beforeAll(async () => {
  h = await setUpChatStream();
});

const user = async (id: number) => {
  const authorization = await bearer(CHAT_USER(id));
  return {
    id: String(id),
    send: (body: Record<string, unknown>) => h.send(body, { authorization }),
    open: (body: Record<string, unknown>) => h.open(body, { authorization }),
  };
};

const userMessages = (index = -1) =>
  (upstreamRequest(h.modelServer, index).body.messages as { role: string; content: string }[]).filter((m) => m.role === 'user').map((m) => m.content);

describe('a new session under a client-made id', () => {
  it('starts under that id for the caller, is listed once stored, and takes a follow-up', async () => {
    const model = await h.addModel();
    const alice = await user(301);
    const sessionId = randomUUID();
    const first = await alice.send({ modelId: model.modelId, message: `hello ${FAST}`, sessionId });
    expect(first.lines[0]).toEqual({ type: 'meta', session_id: sessionId });
    expect(first.lines.at(-1)!.type).toBe('metrics');
    expect(userMessages()).toEqual([`hello ${FAST}`]);
    expect(await getSessionHeader(h.runtime, sessionId)).toMatchObject({ userId: '301', runCount: 1, title: sessionTitle(`hello ${FAST}`) });
    expect((await listSessions(h.runtime, '301')).map((s) => s.sessionId)).toEqual([sessionId]);

    const second = await alice.send({ modelId: model.modelId, message: `again ${FAST}`, sessionId });
    expect(second.lines.at(-1)!.type).toBe('metrics');
    expect(userMessages()).toEqual([`hello ${FAST}`, `again ${FAST}`]);
    expect((await loadRuns(h.runtime, sessionId)).map((r) => r.userId)).toEqual(['301', '301']);
    expect(await getSessionHeader(h.runtime, sessionId)).toMatchObject({ userId: '301', runCount: 2 });
  });

  it("refuses another user's existing session, new or old, without contacting the provider or changing it", async () => {
    const model = await h.addModel();
    const [alice, bob] = [await user(302), await user(303)];
    const sessionId = randomUUID();
    await alice.send({ modelId: model.modelId, message: `mine ${FAST}`, sessionId });
    const seeded = await seedSession(h.runtime, '302', 2);
    for (const id of [sessionId, seeded.sessionId]) {
      const before = await partitionItems(h.runtime, id);
      const requests = h.modelServer.stats.requests.length;
      const out = await bob.send({ modelId: model.modelId, message: `not yours ${FAST}`, sessionId: id });
      expect(out.envelope).toMatchObject({ code: 500, msg: '无权访问该会话' });
      expect(h.modelServer.stats.requests.length).toBe(requests);
      expect(await partitionItems(h.runtime, id)).toEqual(before);
    }
  });

  it('two users racing for one new id: exactly one wins, the loser reaches no provider', async () => {
    const model = await h.addModel();
    const [alice, bob] = [await user(304), await user(305)];
    for (let round = 0; round < 5; round++) {
      const sessionId = randomUUID();
      const requests = h.modelServer.stats.requests.length;
      const calls = [alice, bob].map((u) => u.open({ modelId: model.modelId, message: `race ${round} by ${u.id} ${FAST}`, sessionId }));
      await Promise.all(calls.map((c) => c.done));
      const outs = calls.map((c) => c.capture);
      const winners = outs.filter((o) => o.isStream);
      expect(winners).toHaveLength(1);
      expect(outs.find((o) => !o.isStream)!.envelope).toMatchObject({ code: 500, msg: '无权访问该会话' });
      expect(winners[0]!.lines.at(-1)!.type).toBe('metrics');
      expect(h.modelServer.stats.requests.length - requests).toBe(1);
      const winner = outs[0]!.isStream ? alice : bob;
      expect(JSON.stringify(upstreamRequest(h.modelServer).body)).toContain(`by ${winner.id}`);
      expect((await loadRuns(h.runtime, sessionId)).map((r) => r.userId)).toEqual([winner.id]);
      expect(await getSessionHeader(h.runtime, sessionId)).toMatchObject({ userId: winner.id, runCount: 1 });
    }
  });

  it('a refused first message leaves no session behind, and the id stays free', async () => {
    const model = await h.addModel({ status: '1' });
    const usable = await h.addModel();
    const [alice, bob] = [await user(306), await user(307)];
    const sessionId = randomUUID();
    const out = await alice.send({ modelId: model.modelId, message: `refused ${FAST}`, sessionId });
    expect(out.envelope).toMatchObject({ code: 500, msg: REFUSAL_MSG.modelDisabled });
    expect(await partitionItems(h.runtime, sessionId)).toEqual([]);
    const taken = await bob.send({ modelId: usable.modelId, message: `free ${FAST}`, sessionId });
    expect(taken.lines.at(-1)!.type).toBe('metrics');
    expect(await getSessionHeader(h.runtime, sessionId)).toMatchObject({ userId: '307' });
  });

  it.each([['not-a-uuid'], ['00000000-0000-0000-0000-00000000000g'], [`${randomUUID()}x`], [42]])(
    '601 for the malformed id %s, nothing written',
    async (sessionId) => {
      const model = await h.addModel();
      const alice = await user(308);
      const requests = h.modelServer.stats.requests.length;
      const out = await alice.send({ modelId: model.modelId, message: `bad id ${FAST}`, sessionId });
      expect(out.envelope).toMatchObject({ code: 601, msg: expect.stringMatching(/^sessionId: /) });
      expect(h.modelServer.stats.requests.length).toBe(requests);
    },
  );
});

describe("a follow-up's history, read beside the checks before the config arrives", () => {
  it('follows the config read for the request when it asks for more or fewer runs than the instance last saw', async () => {
    const model = await h.addModel();
    const carol = await user(309);
    const { sessionId } = await seedSession(h.runtime, '309', 8);
    // Unseen user: the read guesses the default size (3); the config asks for 6, so it reads again.
    await saveChatConfig(h.runtime, '309', { numHistoryRuns: 6, systemPrompt: null });
    await carol.send({ modelId: model.modelId, message: `a ${FAST}`, sessionId });
    expect(userMessages()).toEqual(['question 3', 'question 4', 'question 5', 'question 6', 'question 7', 'question 8', `a ${FAST}`]);
    // Remembered 6; the config now asks for 2: the surplus is dropped.
    await saveChatConfig(h.runtime, '309', { numHistoryRuns: 2, systemPrompt: null });
    await carol.send({ modelId: model.modelId, message: `b ${FAST}`, sessionId });
    expect(userMessages()).toEqual(['question 8', `a ${FAST}`, `b ${FAST}`]);
    // History off after being on: none, whatever was read.
    await saveChatConfig(h.runtime, '309', { addHistoryToContext: '1', systemPrompt: null });
    await carol.send({ modelId: model.modelId, message: `c ${FAST}`, sessionId });
    expect(userMessages()).toEqual([`c ${FAST}`]);
    // On again with 4, remembered as off: read after the config.
    await saveChatConfig(h.runtime, '309', { addHistoryToContext: '0', numHistoryRuns: 4, systemPrompt: null });
    await carol.send({ modelId: model.modelId, message: `d ${FAST}`, sessionId });
    expect(userMessages()).toEqual(['question 8', `a ${FAST}`, `b ${FAST}`, `c ${FAST}`, `d ${FAST}`]);
  });
});
