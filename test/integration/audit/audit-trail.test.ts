import { beforeAll, describe, expect, it } from 'vitest';
import { getApiRuntime } from '../../../lambdas/api/runtime.ts';
import { listAuditRecords } from '../../../lambdas/core/audit/list.ts';
import { auditListQuerySchema } from '../../../lambdas/core/audit/schema.ts';
import type { StoredAuditRecord } from '../../../lambdas/core/audit/repository.ts';
import { createDocumentClient, type DocumentClient } from '../../../lambdas/core/db/client.ts';
import { createImageStore } from '../../../lambdas/core/images/create-image-store.ts';
import { createRuntime, type Runtime } from '../../../lambdas/core/runtime.ts';
import { wireTime } from '../../../lambdas/core/time.ts';
import { auditRowSchema } from '../../../lambdas/core/wire/responses.ts';
import { loadApiHandler, type ApiCall } from '../../support/api-call.ts';
import { createTestEnv } from '../../support/test-runtime.ts';
import { ADMIN, bearer, CHAT_USER } from '../../support/tokens.ts';
import { captureLogs } from '../chat-stream/support.ts';
import { seedSession } from '../chat-api/seed.ts';

/**
 * The audit trail through the real api handler on DynamoDB Local: what RuoYi's @Log
 * records for the AI module is recorded here (who, what, which item, from where, the
 * request without the key, the outcome), kept for the configured days, readable through
 * GET /ai/audit/list with RuoYi's operation-log filters, and written to the log as well.
 */

type Api = (call: ApiCall) => Promise<{ status?: number; json: Record<string, any> }>;

const SECRET_KEY = 'sk-audit-VERY-SECRET-0123456789';
const NEW_KEY = 'sk-audit-NEW-SECRET-9876543210';
const RETENTION_DAYS = 30;
const DAY_S = 86_400;

let api: Api;
let env: Record<string, string>;
let rt: Runtime;
let db: DocumentClient;
let admin: string;

const model = (over: Record<string, unknown> = {}) => ({
  modelCode: 'audit-model',
  modelName: 'Audited',
  provider: 'OpenAI',
  modelSort: 1,
  apiKey: SECRET_KEY,
  baseUrl: 'https://api.example.com/v1',
  ...over,
});

/** Every stored audit record, newest first, read straight from the table. */
const storedRecords = async (): Promise<StoredAuditRecord[]> => {
  const out = await db.scan({ TableName: env.AUDIT_TABLE!, ConsistentRead: true });
  return ((out.Items ?? []) as StoredAuditRecord[]).sort((a, b) => b.operId - a.operId);
};

const newest = async () => (await storedRecords())[0]!;

const auditList = async (query: Record<string, string> = {}, authorization = admin) =>
  (await api({ method: 'GET', path: '/ai/audit/list', authorization, query: { pageSize: '500', ...query } })).json;

/** Records a call adds, however many. */
const recordsAddedBy = async (call: () => Promise<unknown>) => {
  const before = new Set((await storedRecords()).map((r) => r.operId));
  await call();
  return (await storedRecords()).filter((r) => !before.has(r.operId));
};

beforeAll(async () => {
  env = await createTestEnv({ LOG_LEVEL: 'INFO', AUDIT_RETENTION_DAYS: String(RETENTION_DAYS) });
  api = await loadApiHandler(env);
  rt = await createRuntime(env, createImageStore);
  db = createDocumentClient({ endpoint: env.DYNAMODB_ENDPOINT });
  admin = await bearer({ ...ADMIN, dept_id: 103, dept_name: '研发部门' });
});

describe('what is recorded', () => {
  let modelId: number;

  it('an admin add: RuoYi’s title and INSERT, who, which model, from where, the request without the key', async () => {
    const before = Date.now();
    const res = await api({
      method: 'POST',
      path: '/ai/model',
      authorization: admin,
      body: model(),
      headers: { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0', 'x-forwarded-for': '203.0.113.9, 10.0.0.2' },
    });
    expect(res.json).toMatchObject({ code: 200, msg: '新增成功' });
    const record = await newest();
    modelId = Number(record.itemId);
    expect(modelId).toBeGreaterThan(0);
    expect(record).toMatchObject({
      title: 'AI模型管理',
      businessType: 1,
      method: 'models.addModel()',
      requestMethod: 'POST',
      operUrl: '/ai/model',
      operName: 'admin',
      userId: '1',
      deptId: '103',
      deptName: '研发部门',
      operIp: '127.0.0.1',
      forwardedFor: '203.0.113.9, 10.0.0.2',
      operatorType: 1,
      status: 0,
    });
    expect(record.errorMsg).toBeUndefined();
    expect(record.operAt).toBeGreaterThanOrEqual(before);
    expect(record.costTime).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(record.operParam)).toEqual({ json_body: { ...model(), apiKey: undefined } });
    expect(JSON.parse(record.jsonResult)).toEqual({ code: 200, msg: '新增成功', success: true });
    expect(JSON.stringify(record)).not.toContain(SECRET_KEY);
  });

  it('an admin edit with a new key shows up with the key absent: in the table, the list and the log', async () => {
    const logs = captureLogs();
    let detail: Record<string, any>;
    try {
      detail = (await api({ method: 'GET', path: `/ai/model/${modelId}`, authorization: admin })).json.data;
      const res = await api({ method: 'PUT', path: '/ai/model', authorization: admin, body: { ...detail, apiKey: NEW_KEY, remark: 'rotated' } });
      expect(res.json).toMatchObject({ code: 200, msg: '修改成功' });
    } finally {
      logs.stop();
    }
    const record = await newest();
    expect(record).toMatchObject({
      title: 'AI模型管理',
      businessType: 2,
      method: 'models.editModel()',
      requestMethod: 'PUT',
      itemId: String(modelId),
      status: 0,
    });
    const param = JSON.parse(record.operParam);
    expect(param.json_body).toMatchObject({ modelId, remark: 'rotated', modelCode: 'audit-model' });
    expect(param.json_body).not.toHaveProperty('apiKey');

    const listed = await auditList({ title: 'AI模型' });
    const row = listed.rows.find((r: any) => r.operId === record.operId);
    expect(row).toMatchObject({ businessType: 2, itemId: String(modelId), operName: 'admin', deptName: '研发部门', userId: 1 });
    const line = logs.entries().find((e) => e.message === 'operation audited' && (e.audit as { operId?: number }).operId === record.operId);
    expect(line?.audit).toMatchObject({ title: 'AI模型管理', businessType: 2, itemId: String(modelId), status: 0 });
    for (const text of [JSON.stringify(record), JSON.stringify(listed), logs.text]) {
      expect(text).not.toContain(NEW_KEY);
      expect(text).not.toContain(SECRET_KEY);
    }
  });

  it('a refused edit is recorded as failed with the service’s message, and changes nothing', async () => {
    const added = await recordsAddedBy(() => api({ method: 'PUT', path: '/ai/model', authorization: admin, body: { ...model(), modelId: 987_654 } }));
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ businessType: 2, itemId: '987654', status: 1, errorMsg: 'AI模型不存在' });
    expect(JSON.parse(added[0]!.jsonResult)).toMatchObject({ code: 500, msg: 'AI模型不存在', success: false });
  });

  it('a delete: DELETE with the ids as named', async () => {
    const [record] = await recordsAddedBy(() => api({ method: 'DELETE', path: `/ai/model/${modelId},424242`, authorization: admin }));
    expect(record).toMatchObject({ title: 'AI模型管理', businessType: 3, method: 'models.removeModels()', itemId: `${modelId},424242`, status: 0 });
    expect(JSON.parse(record!.operParam)).toEqual({ path_params: { ids: `${modelId},424242` } });
  });

  it('a chat config save: AI对话配置管理 as INSERT (as RuoYi logs it), the system prompt masked', async () => {
    const user = await bearer(CHAT_USER(501, { user_name: 'zhang' }));
    const [record] = await recordsAddedBy(() =>
      api({
        method: 'PUT',
        path: '/ai/chat/config',
        authorization: user,
        body: { temperature: 0.3, systemPrompt: 'You are the CEO’s private assistant' },
        headers: { 'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148' },
      }),
    );
    expect(record).toMatchObject({ title: 'AI对话配置管理', businessType: 1, operName: 'zhang', userId: '501', itemId: '501', operatorType: 2, status: 0 });
    expect(JSON.parse(record!.operParam)).toEqual({ json_body: { temperature: 0.3, systemPrompt: '******' } });
    expect(JSON.stringify(record)).not.toContain('private assistant');
  });

  it('a session delete: AI对话会话管理 as DELETE, the session named', async () => {
    const { sessionId } = await seedSession(rt, '502', 1);
    const user = await bearer(CHAT_USER(502));
    const [record] = await recordsAddedBy(() => api({ method: 'DELETE', path: `/ai/chat/session/${sessionId}`, authorization: user }));
    expect(record).toMatchObject({
      title: 'AI对话会话管理',
      businessType: 3,
      method: 'chat.deleteSession()',
      itemId: sessionId,
      status: 0,
      operName: 'user502',
    });
    expect(JSON.stringify(record)).not.toContain('question 1');
  });

  it('nothing for reads, and nothing before the route’s own checks passed (as RuoYi’s @Log: token, permission, body)', async () => {
    const user = await bearer(CHAT_USER(503));
    const added = await recordsAddedBy(async () => {
      await api({ method: 'GET', path: '/ai/model/list', authorization: admin });
      await api({ method: 'GET', path: '/ai/chat/config', authorization: user });
      await api({ method: 'POST', path: '/ai/model', body: model() });
      await api({ method: 'POST', path: '/ai/model', authorization: user, body: model() });
      await api({ method: 'POST', path: '/ai/model', authorization: admin, body: model({ modelCode: '' }) });
      await api({ method: 'DELETE', path: '/ai/chat/session/not-a-uuid', authorization: user });
    });
    expect(added).toEqual([]);
  });

  it('keeps a record for the configured retention (its TTL), and a record past it is not listed', async () => {
    const record = await newest();
    expect(record.expiresAt).toBe(Math.floor(record.operAt / 1000) + RETENTION_DAYS * DAY_S);
    await db.update({
      TableName: env.AUDIT_TABLE!,
      Key: { pk: record.pk, operId: record.operId },
      UpdateExpression: 'SET expiresAt = :past',
      ExpressionAttributeValues: { ':past': 1 },
    });
    expect((await auditList()).rows.map((r: any) => r.operId)).not.toContain(record.operId);
  });

  it('a record that cannot be written leaves the answer as it was and its copy in the log', async () => {
    const runtime = await getApiRuntime();
    const remove = runtime.db.use((next) => async (operation, input) => {
      if (operation === 'PutItem' && input.TableName === env.AUDIT_TABLE)
        throw Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' });
      return next(operation, input);
    });
    const logs = captureLogs();
    try {
      const res = await api({ method: 'POST', path: '/ai/model', authorization: admin, body: model({ modelCode: 'unrecorded' }) });
      expect(res.json).toMatchObject({ code: 200, msg: '新增成功' });
    } finally {
      logs.stop();
      remove();
    }
    const line = logs.entries().find((e) => e.message === 'audit record not written');
    expect(line).toMatchObject({
      level: 'ERROR',
      errorName: 'ProvisionedThroughputExceededException',
      audit: { title: 'AI模型管理', businessType: 1, status: 0 },
    });
    expect(JSON.parse((line!.audit as { operParam: string }).operParam).json_body.modelCode).toBe('unrecorded');
    expect(logs.text).not.toContain(SECRET_KEY);
  });
});

describe('GET /ai/audit/list', () => {
  const ops = { editor: 611, other: 612, sameDept: 613 };
  let editor: string;

  beforeAll(async () => {
    editor = await bearer(CHAT_USER(ops.editor, { dept_id: 7, perms: ['ai:chat:list', 'ai:model:add'] }));
    const other = await bearer(CHAT_USER(ops.other, { dept_id: 8 }));
    const sameDept = await bearer(CHAT_USER(ops.sameDept, { dept_id: 7 }));
    await api({ method: 'POST', path: '/ai/model', authorization: editor, body: model({ modelCode: 'by-editor' }) });
    for (const [token, prompt] of [
      [other, 'a'],
      [sameDept, 'b'],
      [editor, 'c'],
    ] as const) {
      await api({ method: 'PUT', path: '/ai/chat/config', authorization: token, body: { systemPrompt: prompt } });
    }
  });

  it('answers RuoYi’s paged envelope with rows in the documented shape, newest first', async () => {
    const page = await auditList({ pageNum: '1', pageSize: '2' });
    expect(page).toMatchObject({ code: 200, msg: '操作成功', pageNum: 1, pageSize: 2, hasNext: true, success: true });
    expect(page.rows).toHaveLength(2);
    expect(page.total).toBeGreaterThan(2);
    for (const row of page.rows) expect(auditRowSchema.safeParse(row).error?.issues ?? []).toEqual([]);
    expect(page.rows[0].operId).toBeGreaterThan(page.rows[1].operId);
    expect(page.rows[0].operTime).toBe(wireTime(Math.floor(page.rows[0].operId / 1000)));
    const second = await auditList({ pageNum: '2', pageSize: '2' });
    expect(second.rows[0].operId).toBeLessThan(page.rows[1].operId);
  });

  it('filters like RuoYi’s operation-log page: title and operator contain, type and status equal, whole days', async () => {
    const titles = (rows: any[]) => new Set(rows.map((r) => r.title));
    expect(titles((await auditList({ title: '配置' })).rows)).toEqual(new Set(['AI对话配置管理']));
    expect((await auditList({ operName: 'USER61' })).rows.map((r: any) => r.operName).sort()).toEqual(['user611', 'user611', 'user612', 'user613']);
    expect(new Set((await auditList({ businessType: '3' })).rows.map((r: any) => r.businessType))).toEqual(new Set([3]));
    expect(new Set((await auditList({ status: '1' })).rows.map((r: any) => r.errorMsg))).toEqual(new Set(['AI模型不存在']));
    expect((await auditList({ operIp: '127.0.0' })).total).toBe((await auditList()).total);
    // The page clears a filter by sending it empty.
    expect((await auditList({ businessType: '', status: '', beginTime: '', endTime: '' })).total).toBe((await auditList()).total);

    const today = wireTime(Date.now()).slice(0, 10);
    const yesterday = wireTime(Date.now() - 86_400_000).slice(0, 10);
    expect((await auditList({ beginTime: `${today} 00:00:00`, endTime: `${today} 23:59:59` })).total).toBe((await auditList()).total);
    expect((await auditList({ beginTime: yesterday, endTime: yesterday })).total).toBe(0);
    expect((await auditList({ endTime: yesterday })).total).toBe(0);
  });

  it('sorts as the page asks (orderByColumn, isAsc)', async () => {
    const rows = (await auditList({ orderByColumn: 'costTime', isAsc: 'ascending' })).rows as { costTime: number }[];
    expect(rows.map((r) => r.costTime)).toEqual([...rows.map((r) => r.costTime)].sort((a, b) => a - b));
    const oldestFirst = (await auditList({ orderByColumn: 'operTime', isAsc: 'ascending' })).rows as { operId: number }[];
    expect(oldestFirst.map((r) => r.operId)).toEqual([...oldestFirst.map((r) => r.operId)].sort((a, b) => a - b));
  });

  it('refuses bad filters with 601 naming the field', async () => {
    for (const [query, msg] of [
      [{ businessType: '12' }, 'businessType: 只能是 0-9'],
      [{ status: '2' }, 'status: 只能是 0/1'],
      [{ beginTime: 'yesterday' }, 'beginTime: 日期格式应为 YYYY-MM-DD'],
      [{ orderByColumn: 'operParam' }, /^orderByColumn: 只能是/],
      [{ pageSize: '501' }, 'pageSize: 不能超过500'],
    ] as const) {
      const res = await auditList(query);
      expect(res).toMatchObject({ code: 601, success: false });
      if (typeof msg === 'string') expect(res.msg).toBe(msg);
      else expect(res.msg).toMatch(msg);
    }
  });

  it('needs ai:audit:list (admins hold it)', async () => {
    expect(await auditList({}, editor)).toMatchObject({ code: 403, msg: '该用户无此接口权限' });
  });

  it("shows a non-admin the operations of operators in the caller's data scope", async () => {
    const reader = (dataScope: string, deptId = 7) =>
      bearer(CHAT_USER(ops.editor, { dept_id: deptId, perms: ['ai:audit:list'], ...(dataScope ? { data_scope: dataScope } : {}) }));
    const operators = async (token: string) => new Set((await auditList({}, token)).rows.map((r: any) => r.userId));
    expect(await operators(await reader('self'))).toEqual(new Set([ops.editor]));
    expect(await operators(await reader('dept'))).toEqual(new Set([ops.editor, ops.sameDept]));
    expect(await operators(await reader('dept', 8))).toEqual(new Set([ops.other]));
    // 502's one record is past its TTL (above).
    expect(await operators(await reader('all'))).toEqual(new Set([1, 501, ops.editor, ops.other, ops.sameDept]));
    expect(await operators(await reader('unknown'))).toEqual(new Set());
  });

  it('counts at most the newest matches it may collect, among at most the records it may read', async () => {
    const everyone = { ...(await rt.verifyToken(admin)) };
    const query = auditListQuerySchema.parse({});
    const all = await listAuditRecords(rt, everyone, query);
    expect(all.total).toBeGreaterThan(4);
    const fewMatches = await listAuditRecords(rt, everyone, query, { limits: { matches: 3, read: 1000 } });
    expect(fewMatches.rows.map((r) => r.operId)).toEqual(all.rows.slice(0, 3).map((r) => r.operId));
    const fewRead = await listAuditRecords(rt, everyone, { ...query, status: '1' }, { limits: { matches: 1000, read: 2 } });
    expect(fewRead.total).toBe(0);
  });
});
