import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { enforceRateLimit } from '../../../lambdas/core/ratelimit/rate-limit.ts';
import { createImageStore } from '../../../lambdas/core/images/create-image-store.ts';
import { createRuntime, type Runtime } from '../../../lambdas/core/runtime.ts';
import { requestCancel } from '../../../lambdas/core/sessions/request-cancel.ts';
import { createRunStatus, readRunState } from '../../../lambdas/core/sessions/run-status.ts';
import { loadApiHandler, type ApiCall } from '../../support/api-call.ts';
import { createTestEnv } from '../../support/test-runtime.ts';
import { bearer, CHAT_USER } from '../../support/tokens.ts';
import { runRecord, seedRun } from './seed.ts';

const CANCELS_PER_MINUTE = 3;

let api: (call: ApiCall) => Promise<{ json: Record<string, any> }>;
let rt: Runtime;

beforeAll(async () => {
  const env = await createTestEnv({ RATE_LIMIT_CANCELS_PER_MINUTE: String(CANCELS_PER_MINUTE) });
  api = await loadApiHandler(env);
  rt = await createRuntime(env, createImageStore);
});

const cancel = async (userId: number, body: unknown) =>
  (await api({ method: 'POST', path: '/ai/chat/cancel', authorization: await bearer(CHAT_USER(userId)), body })).json;

const startRun = async (userId: string) => {
  const runId = randomUUID();
  await createRunStatus(rt, { runId, sessionId: randomUUID(), userId }, 3600);
  return runId;
};

describe('POST /ai/chat/cancel', () => {
  it('the owner cancels a running run', async () => {
    const runId = await startRun('401');
    expect(await cancel(401, { runId })).toMatchObject({ code: 200, msg: '取消成功', success: true });
    expect(await readRunState(rt, runId)).toBe('CANCELLED');
  });

  it('another user cannot cancel it, and it keeps running', async () => {
    const runId = await startRun('402');
    expect(await cancel(403, { runId })).toMatchObject({ code: 500, msg: '无权取消该运行', success: false });
    expect(await readRunState(rt, runId)).toBe('RUNNING');
  });

  it('an unknown run id answers 无权取消该运行', async () => {
    expect(await cancel(404, { runId: randomUUID() })).toMatchObject({ code: 500, msg: '无权取消该运行' });
  });

  it('a finished run answers 取消运行失败 and stays finished', async () => {
    const run = await seedRun(rt, runRecord(randomUUID(), '405', 1));
    expect(await cancel(405, { runId: run.runId })).toMatchObject({ code: 500, msg: '取消运行失败' });
    expect(await readRunState(rt, run.runId)).toBe('COMPLETED');
    const cancelled = await startRun('405');
    await cancel(405, { runId: cancelled });
    expect(await cancel(405, { runId: cancelled })).toMatchObject({ msg: '取消运行失败' });
  });

  it.each([[{}], [{ runId: 'abc' }], [{ runId: 42 }], ['{"runId":']])('refuses %j with 601', async (body) => {
    expect(await cancel(406, body)).toMatchObject({ code: 601, success: false });
  });

  it('answers 429 past the per-user limit', async () => {
    // Twice the limit plus one calls cannot all fit, even if a window boundary falls among them.
    const answers: Record<string, any>[] = [];
    for (let i = 0; i < 2 * CANCELS_PER_MINUTE + 1; i++) answers.push(await cancel(407, { runId: randomUUID() }));
    const limited = answers.filter((a) => a.code === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]).toMatchObject({ success: false, msg: '请求过于频繁，请稍后再试' });
    expect(answers.filter((a) => a.code !== 429).every((a) => a.msg === '无权取消该运行')).toBe(true);
  });
});

describe('requestCancel under the rate limit', () => {
  const window = 1_800_000_000_000;

  it('a refused cancel changes nothing, and the next window lets it through', async () => {
    const runId = await startRun('408');
    for (let i = 0; i < CANCELS_PER_MINUTE; i++) {
      await expect(requestCancel(rt, '408', randomUUID(), window + i)).rejects.toMatchObject({ message: '无权取消该运行' });
    }
    await expect(requestCancel(rt, '408', runId, window + 59_000)).rejects.toMatchObject({ code: 429 });
    expect(await readRunState(rt, runId)).toBe('RUNNING');
    await requestCancel(rt, '408', runId, window + 60_000);
    expect(await readRunState(rt, runId)).toBe('CANCELLED');
  });
});

describe('enforceRateLimit', () => {
  const window = 1_800_000_120_000;

  it('counts per user and per action in fixed one-minute windows', async () => {
    for (let i = 0; i < 2; i++) await enforceRateLimit(rt, '409', 'send', 2, window + i);
    await expect(enforceRateLimit(rt, '409', 'send', 2, window + 30_000)).rejects.toMatchObject({ code: 429 });
    await expect(enforceRateLimit(rt, '409', 'send', 2, window + 59_999)).rejects.toMatchObject({ code: 429 });
    await enforceRateLimit(rt, '409', 'cancel', 2, window);
    await enforceRateLimit(rt, '410', 'send', 2, window);
    await enforceRateLimit(rt, '409', 'send', 2, window + 60_000);
  });

  it('holds under concurrent calls: exactly the limit gets through', async () => {
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => enforceRateLimit(rt, '411', 'send', 4, window)));
    expect(results.filter((r) => r.status === 'fulfilled').length).toBe(4);
  });
});
