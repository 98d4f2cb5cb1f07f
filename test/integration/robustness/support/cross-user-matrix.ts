import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readRunState } from '../../../../lambdas/core/sessions/run-status.ts';
import { loadRuns } from '../../../../lambdas/core/sessions/run-store.ts';
import { upstreamRequest, type ChatStreamHarness } from '../../chat-stream/support.ts';
import type { ApiCall } from '../../../support/api-call.ts';
import { expectRefusal, send, type Api, type BothFunctions, type Sent } from './corpus.ts';
import { PNG, storeImage } from './images.ts';
import { failCaseOnUnhandledRejection } from './rejections.ts';
import { dumpTables, type Item, type Store, type TableDump } from './tables.ts';

/** Two users of the deployment, as each identity mode makes them. */
export interface CrossUserWorld {
  both: BothFunctions;
  A: string;
  B: string;
  /** A and B may manage their own models only (data scope self); A in one department, B in another. */
  tokenA: string;
  tokenB: string;
  /** A caller of B's department whose data scope is that department. */
  tokenBDept: string;
}

/**
 * The cross-user matrix: for every endpoint that takes an id, user B sends user A's id.
 * B is refused with the contract's message (or, where the contract says a foreign id is
 * ignored or the write lands on the caller's own data, nothing of A's is touched), and
 * every item of A's (models, config, sessions, runs, run-status items) and A's image
 * file is exactly as before. One matrix for every identity mode: each test file gives
 * it both functions and A's and B's tokens.
 */
export const crossUserMatrix = (setUp: () => Promise<CrossUserWorld>): void => {
  let A = '';
  let B = '';
  let tokenA = '';
  let tokenB = '';
  let tokenBDept = '';
  let h: ChatStreamHarness;
  let api: Api;
  let store: Store;

  /** A's ids, as B would have guessed or seen them. */
  const a = { sessionId: '', configId: 0, modelId: 0, imageKey: '', imagePath: '' };
  /** B's own vision model, for sending into its own turn. */
  let bModelId = 0;

  failCaseOnUnhandledRejection();

  const modelBody = (code: string, baseUrl: string) => ({
    modelCode: code,
    modelName: code,
    provider: 'OpenAI',
    modelSort: 1,
    baseUrl,
    supportImages: 'Y',
    status: '0',
  });

  const createModel = async (authorization: string, code: string) => {
    expect((await api({ method: 'POST', path: '/ai/model', authorization, body: modelBody(code, h.modelServer.url) })).json.code).toBe(200);
    const list = await api({ method: 'GET', path: '/ai/model/list', authorization, query: { modelCode: code } });
    return list.json.rows[0].modelId as number;
  };

  beforeAll(async () => {
    ({
      both: { h, api, store },
      A,
      B,
      tokenA,
      tokenB,
      tokenBDept,
    } = await setUp());
    a.modelId = await createModel(tokenA, 'model-of-a');
    bModelId = await createModel(tokenB, 'model-of-b');
    expect((await api({ method: 'PUT', path: '/ai/chat/config', authorization: tokenA, body: { temperature: 0.3, systemPrompt: 'A only' } })).json.code).toBe(
      200,
    );
    a.configId = (await api({ method: 'GET', path: '/ai/chat/config', authorization: tokenA })).json.data.chatConfigId;
    const turn = await h.send({ modelId: a.modelId, message: '[[interval=0]] private to A' }, { authorization: tokenA });
    a.sessionId = turn.lines[0]!.session_id;
    a.imageKey = `uploads/${A}/${randomUUID()}.png`;
    a.imagePath = storeImage(a.imageKey);
  });

  /** Every item that is A's: A's models and config, and A's sessions, runs and run-status items. */
  const itemsOfA = (dump: TableDump): Item[] => {
    const sessionsOfA = new Set(dump.sessions.filter((i) => i.userId === A && String(i.pk).startsWith('SESSION#')).map((i) => i.pk));
    return [
      ...dump.models.filter((i) => i.userId === A),
      ...dump.configs.filter((i) => i.userId === A),
      ...dump.sessions.filter((i) => i.userId === A || sessionsOfA.has(i.pk) || String(i.pk).startsWith(`RATE#${A}#`)),
    ];
  };

  const rest = (call: ApiCall) => send(h, api, { handler: 'rest', call });
  const chat = (body: Record<string, unknown>, authorization = tokenB) => send(h, api, { handler: 'stream', body, authorization });

  interface CrossUserCase {
    endpoint: string;
    /** B's request carrying A's id. */
    act(): Promise<Sent>;
    /** The refusal B gets; absent where the contract has B's request succeed on B's own data. */
    refused?: { code: number; msg: string };
    /** What else must hold once B is answered. */
    then?(answer: Sent): Promise<void> | void;
  }

  const NOT_YOUR_SESSION = { code: 500, msg: '无权访问该会话' };
  const OUT_OF_SCOPE = { code: 500, msg: '没有权限访问AI模型数据' };

  const CASES: CrossUserCase[] = [
    {
      endpoint: 'GET /ai/chat/session/{id} (detail)',
      act: () => rest({ method: 'GET', path: `/ai/chat/session/${a.sessionId}`, authorization: tokenB }),
      refused: NOT_YOUR_SESSION,
    },
    {
      endpoint: 'DELETE /ai/chat/session/{id}',
      act: () => rest({ method: 'DELETE', path: `/ai/chat/session/${a.sessionId}`, authorization: tokenB }),
      refused: NOT_YOUR_SESSION,
    },
    {
      endpoint: 'chat stream: send into the session',
      act: () => chat({ modelId: bModelId, message: 'let me in', sessionId: a.sessionId }),
      refused: NOT_YOUR_SESSION,
    },
    {
      endpoint: "PUT /ai/chat/config with A's chatConfigId (B has none)",
      act: () => rest({ method: 'PUT', path: '/ai/chat/config', authorization: tokenB, body: { chatConfigId: a.configId, temperature: 1.9 } }),
      refused: { code: 500, msg: '只允许修改当前用户的配置' },
    },
    {
      endpoint: "PUT /ai/chat/config with A's userId in the body: saved as B's own",
      act: () => rest({ method: 'PUT', path: '/ai/chat/config', authorization: tokenB, body: { userId: Number(A), temperature: 1.7 } }),
      then: async () => {
        const mine = (await api({ method: 'GET', path: '/ai/chat/config', authorization: tokenB })).json.data;
        expect(mine).toMatchObject({ userId: Number(B), temperature: 1.7 });
        expect(mine.chatConfigId).not.toBe(a.configId);
      },
    },
    {
      endpoint: "PUT /ai/chat/config with A's chatConfigId (B has its own)",
      act: async () => {
        expect((await rest({ method: 'PUT', path: '/ai/chat/config', authorization: tokenB, body: { temperature: 1 } })).envelope.code).toBe(200);
        return rest({ method: 'PUT', path: '/ai/chat/config', authorization: tokenB, body: { chatConfigId: a.configId, systemPrompt: 'hijacked' } });
      },
      refused: { code: 500, msg: '只允许修改当前用户的配置' },
    },
    {
      endpoint: "chat stream: A's image key is ignored (not read, not sent, not stored)",
      act: () => chat({ modelId: bModelId, message: '[[interval=0]] describe it', images: [a.imageKey] }),
      then: async (answer) => {
        expect(answer.capture!.lines.at(-1)!.type).toBe('metrics');
        expect((upstreamRequest(h.modelServer).body.messages as { content: unknown }[]).at(-1)!.content).toBe('[[interval=0]] describe it');
        const [run] = await loadRuns(store, answer.capture!.lines[0]!.session_id);
        expect(run!.images).toEqual([]);
        const detail = await rest({ method: 'GET', path: `/ai/chat/session/${run!.sessionId}`, authorization: tokenB });
        expect(detail.envelope.data.messages[0].images).toEqual([]);
      },
    },
    {
      endpoint: 'GET /ai/model/{id} (self scope)',
      act: () => rest({ method: 'GET', path: `/ai/model/${a.modelId}`, authorization: tokenB }),
      refused: OUT_OF_SCOPE,
    },
    {
      endpoint: 'GET /ai/model/{id} (dept scope, other dept)',
      act: () => rest({ method: 'GET', path: `/ai/model/${a.modelId}`, authorization: tokenBDept }),
      refused: OUT_OF_SCOPE,
    },
    {
      endpoint: 'PUT /ai/model (edit)',
      act: () =>
        rest({
          method: 'PUT',
          path: '/ai/model',
          authorization: tokenB,
          body: { ...modelBody('stolen', 'https://evil.example/v1'), modelId: a.modelId, apiKey: 'sk-attacker' },
        }),
      refused: OUT_OF_SCOPE,
    },
    { endpoint: 'DELETE /ai/model/{ids}', act: () => rest({ method: 'DELETE', path: `/ai/model/${a.modelId}`, authorization: tokenB }), refused: OUT_OF_SCOPE },
    {
      endpoint: "DELETE /ai/model/{ids} mixing B's own model with A's",
      act: () => rest({ method: 'DELETE', path: `/ai/model/${bModelId},${a.modelId}`, authorization: tokenB }),
      refused: OUT_OF_SCOPE,
      then: async () => {
        const own = await rest({ method: 'GET', path: `/ai/model/${bModelId}`, authorization: tokenB });
        expect(own.envelope.data.modelId).toBe(bModelId);
      },
    },
    { endpoint: 'chat stream: send with the model', act: () => chat({ modelId: a.modelId, message: 'use it' }), refused: OUT_OF_SCOPE },
    {
      endpoint: "GET /ai/model/list, /ai/model/all, /ai/chat/session/list: none of A's ids listed",
      act: () => rest({ method: 'GET', path: '/ai/model/list', authorization: tokenB, query: { pageSize: '500' } }),
      then: async (answer) => {
        expect(answer.envelope.rows.map((m: { modelId: number }) => m.modelId)).toEqual([bModelId]);
        const all = await rest({ method: 'GET', path: '/ai/model/all', authorization: tokenB });
        expect(all.envelope.data.map((m: { modelId: number }) => m.modelId)).toEqual([bModelId]);
        const sessions = await rest({ method: 'GET', path: '/ai/chat/session/list', authorization: tokenB });
        expect(sessions.envelope.data.map((s: { sessionId: string }) => s.sessionId)).not.toContain(a.sessionId);
      },
    },
  ];

  describe.each(CASES)("B with A's id: $endpoint", (c) => {
    it("is refused, and nothing of A's changes", async () => {
      const before = itemsOfA(await dumpTables(store));
      expect(before.length).toBeGreaterThan(0);
      const answer = await c.act();
      if (c.refused) expectRefusal(answer, c.refused.code, c.refused.msg);
      else expect(answer.streamed || answer.envelope.code === 200).toBe(true);
      await c.then?.(answer);
      expect(itemsOfA(await dumpTables(store))).toEqual(before);
      expect(readFileSync(a.imagePath)).toEqual(PNG);
    });
  });

  describe("B cancelling A's run in progress", () => {
    it('is refused with 无权取消该运行; the run goes on and completes as A started it', async () => {
      const { capture, done } = h.open(
        { modelId: a.modelId, message: '[[interval=20 chunks=40]] long answer', sessionId: a.sessionId },
        { authorization: tokenA },
      );
      await capture.until((lines) => lines.some((l) => l.type === 'run_info'));
      const runId = capture.lines[1]!.run_id as string;
      const statusBefore = (await dumpTables(store)).sessions.find((i) => i.pk === `RUNSTATUS#${runId}`);

      expectRefusal(await rest({ method: 'POST', path: '/ai/chat/cancel', authorization: tokenB, body: { runId } }), 500, '无权取消该运行');
      expect((await dumpTables(store)).sessions.find((i) => i.pk === `RUNSTATUS#${runId}`)).toEqual(statusBefore);

      await done;
      expect(capture.lines.at(-1)!.type).toBe('metrics');
      expect(await readRunState(store, runId)).toBe('COMPLETED');
      const runs = await loadRuns(store, a.sessionId);
      expect(runs.map((r) => [r.runId, r.status]).at(-1)).toEqual([runId, 'completed']);
    });
  });
};
