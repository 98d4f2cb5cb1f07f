import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createImageStore } from '../../../lambdas/core/images/create-image-store.ts';
import { insertModel, nextModelId } from '../../../lambdas/core/models/repository.ts';
import { createRuntime, type Runtime } from '../../../lambdas/core/runtime.ts';
import { loadApiHandler, type ApiCall } from '../../support/api-call.ts';
import { createTestEnv } from '../../support/test-runtime.ts';
import { ADMIN, bearer, CHAT_USER, type TokenClaims } from '../../support/tokens.ts';
import { runRecord, seedRun } from './seed.ts';

/**
 * Every time the REST API sends, through the real handler, in a zone with daylight
 * saving time (TIME_ZONE=America/New_York): stored instants come out as New York's local
 * time of that instant, without offset. The default zone (Asia/Shanghai) is what the
 * other test files see.
 */

let api: (call: ApiCall) => Promise<{ json: Record<string, any> }>;
let rt: Runtime;
const USER = 231;

beforeAll(async () => {
  const env = await createTestEnv({ TIME_ZONE: 'America/New_York' });
  api = await loadApiHandler(env);
  rt = await createRuntime(env, createImageStore);
});

const utc = (text: string) => Date.parse(`${text}Z`);
const as = async (claims: TokenClaims, call: Omit<ApiCall, 'authorization'>) => (await api({ ...call, authorization: await bearer(claims) })).json;

/**
 * Whether `local` is New York's local time of an instant in [from, to] (whole seconds):
 * read with either of its two offsets, one must land there.
 */
const isNewYorkTimeBetween = (local: string, from: number, to: number) =>
  ['-04:00', '-05:00'].some((offset) => {
    const t = Date.parse(`${local}${offset}`);
    return t >= from - (from % 1000) && t <= to;
  });

describe('times on the wire in America/New_York', () => {
  it('session list and detail: summer and winter instants with their own offsets', async () => {
    const sessionId = randomUUID();
    const summer = utc('2026-07-15T12:00:00');
    const winter = utc('2026-12-15T12:00:00');
    await seedRun(rt, runRecord(sessionId, String(USER), 1, { startedAt: summer, finishedAt: summer + 1500 }));
    await seedRun(rt, runRecord(sessionId, String(USER), 2, { startedAt: winter, finishedAt: winter + 2000 }));

    const list = await as(CHAT_USER(USER), { method: 'GET', path: '/ai/chat/session/list' });
    expect(list.data[0]).toMatchObject({ sessionId, createdAt: '2026-07-15T08:00:00', updatedAt: '2026-12-15T07:00:02' });

    const detail = await as(CHAT_USER(USER), { method: 'GET', path: `/ai/chat/session/${sessionId}` });
    expect(detail.data.messages.map((m: { createdAt: string }) => m.createdAt)).toEqual([
      '2026-07-15T08:00:00',
      '2026-07-15T08:00:01',
      '2026-12-15T07:00:00',
      '2026-12-15T07:00:02',
    ]);
  });

  it('model createTime and updateTime, stored as UTC text', async () => {
    const modelId = await nextModelId(rt);
    await insertModel(rt, {
      modelId,
      modelCode: 'tz',
      modelName: 'tz',
      provider: 'OpenAI',
      modelSort: 0,
      baseUrl: 'https://api.example.com/v1',
      maxTokens: null,
      temperature: null,
      supportReasoning: 'N',
      supportImages: 'N',
      modelType: 'chat',
      status: '0',
      remark: null,
      userId: '1',
      createTime: '2026-03-08T06:59:59',
      updateTime: '2026-03-08T07:00:00',
    });
    const got = await as(ADMIN, { method: 'GET', path: `/ai/model/${modelId}` });
    // The last second before the spring change, then the first after it: 02:00-02:59 never happens.
    expect(got.data).toMatchObject({ createTime: '2026-03-08T01:59:59', updateTime: '2026-03-08T03:00:00' });
    const page = await as(ADMIN, { method: 'GET', path: '/ai/model/list', query: { modelCode: 'tz' } });
    expect(page.rows[0]).toMatchObject({ createTime: '2026-03-08T01:59:59' });
  });

  it("the envelope time, config times and an upload's expiry are now, in New York", async () => {
    const before = Date.now();
    const saved = await as(CHAT_USER(USER), { method: 'PUT', path: '/ai/chat/config', body: { temperature: 0.5 } });
    const config = await as(CHAT_USER(USER), { method: 'GET', path: '/ai/chat/config' });
    const upload = await as(CHAT_USER(USER), { method: 'POST', path: '/ai/chat/upload', body: { fileName: 'a.png', contentType: 'image/png', size: 10 } });
    const after = Date.now();

    for (const local of [saved.time, config.time, config.data.createTime, config.data.updateTime, upload.time]) {
      expect(local).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
      expect(isNewYorkTimeBetween(local, before, after)).toBe(true);
    }
    expect(isNewYorkTimeBetween(upload.data.expiresAt, before + 5 * 60_000, after + 5 * 60_000)).toBe(true);
  });
});
