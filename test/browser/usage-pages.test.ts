import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_JWT_SECRET, type LocalStack } from '../../local/stack.ts';
import { countText, moneyText } from '../../web/src/format.ts';
import { CHAT_USER, signToken } from '../support/tokens.ts';
import { chatPage, type ChatPage } from './support/chat-page.ts';
import { ARTIFACTS, startPageStack, type PageStack } from './support/page-stack.ts';
import { usagePages } from './support/usage-pages.ts';

/**
 * The usage pages in Chromium against the whole local stack (real handlers, DynamoDB
 * Local, the offline model server, whose replies carry the provider's usage): what users
 * chat is written to the ledger and counters by the real final write, and the pages show
 * those numbers. The tests run in order as one afternoon: two users chat, an admin reads
 * the usage view and edits quotas, a user passes a soft quota.
 */

/** CNY per million tokens, set on the seeded model before anyone chats. */
const PRICE = { currency: 'CNY', inputPerMillion: 2, outputPerMillion: 8, cachedPerMillion: null };

let started: PageStack;
let stack: LocalStack;
let page: Page;
let chat: ChatPage;
let usage: ReturnType<typeof usagePages>;
/** A user with a department, so the department ranking has a row. */
let deptUserToken: string;

type Envelope = { code: number; msg: string; data?: unknown; rows?: unknown[]; total?: number };

const api = async (token: string, path: string, init: RequestInit = {}) => {
  const res = await fetch(`${stack.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers },
  });
  return (await res.json()) as Envelope;
};
const asAdmin = (path: string, init?: RequestInit) => api(stack.adminToken, path, init);

interface LedgerRow {
  userId: string | number;
  userName: string | null;
  totalTokens: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
  currency: string | null;
  source: string;
}
const ledger = async () => ((await asAdmin('/ai/usage/list?pageSize=500')).rows ?? []) as LedgerRow[];
const sum = (rows: LedgerRow[], field: 'totalTokens' | 'costMicros') => rows.reduce((total, row) => total + row[field], 0);

/** The provider's usage of every reply a user's sessions hold, as the stream's metrics reported it. */
const repliedTokens = async (token: string) => {
  const sessions = (await api(token, '/ai/chat/session/list')).data as { sessionId: string }[];
  let total = 0;
  for (const { sessionId } of sessions) {
    const detail = (await api(token, `/ai/chat/session/${sessionId}`)).data as { messages: { role: string; metrics: { totalTokens?: number } | null }[] };
    for (const message of detail.messages) if (message.role === 'assistant') total += message.metrics?.totalTokens ?? 0;
  }
  return total;
};

const quotas = async () => ((await asAdmin('/ai/quota/list?pageSize=500')).rows ?? []) as Record<string, unknown>[];

beforeAll(async () => {
  // Quotas are read again for every send: a copy older than 30 × QUOTA_CACHE_MS is not used (quotas/quota-cache.ts).
  started = await startPageStack({ QUOTA_CACHE_MS: '1' });
  ({ stack, page } = started);
  const model = (await asAdmin(`/ai/model/${stack.modelId}`)).data as Record<string, unknown>;
  const priced = await asAdmin('/ai/model', { method: 'PUT', body: JSON.stringify({ ...model, apiKey: undefined, prices: [PRICE] }) });
  if (priced.code !== 200) throw new Error(`could not price the seeded model: ${priced.msg}`);
  deptUserToken = await signToken(CHAT_USER(3, { user_name: 'zhangsan', dept_id: '103', dept_name: '研发部门' }), { secret: DEV_JWT_SECRET });
  chat = chatPage(page);
  usage = usagePages(page);
}, 180_000);

afterAll(() => started?.stop(), 60_000);

describe('usage pages', () => {
  it('shows a user their own use today and this month, as the ledger counted it from the provider', async () => {
    await chat.open(stack.url);
    await usage.myUsage.waitFor();
    expect(await usage.myPeriod('今日')).toMatch(/^0 Token/);
    await chat.send('How much does this cost? [[interval=1]]');
    await chat.replyDone();
    await chat.send('And this one, with more words in it? [[interval=1 chunks=40]]');
    await chat.replyDone();

    const rows = await ledger();
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.source === 'provider' && r.currency === 'CNY')).toBe(true);
    const tokens = sum(rows, 'totalTokens');
    expect(tokens).toBe(await repliedTokens(stack.userToken));
    const cost = moneyText(sum(rows, 'costMicros'), 'CNY');
    await expect.poll(() => usage.myPeriod('今日')).toBe(`${countText(tokens)} Token · ${cost}`);
    expect(await usage.myPeriod('本月')).toBe(`${countText(tokens)} Token · ${cost}`);
    expect(await usage.myUsage.innerText()).toContain('没有适用于你的限额');
  });

  it('shows the admin parts only to whom the API lets in', async () => {
    // The demo user holds ai:chat:list alone: no way in, not even by the address.
    expect(await usage.openAdmin.isHidden()).toBe(true);
    await page.goto(`${stack.url}/#usage`);
    await chat.reload();
    expect(await usage.adminView.isHidden()).toBe(true);

    const reader = await signToken(CHAT_USER(4, { perms: ['ai:chat:list', 'ai:usage:list'] }), { secret: DEV_JWT_SECRET });
    await usage.signIn(reader);
    await usage.openAdmin.click();
    expect(await usage.tab('usage').isVisible()).toBe(true);
    expect(await usage.tab('quotas').isHidden()).toBe(true);
    await usage.figure('每日 Token').locator('svg').waitFor();
    await usage.signIn(deptUserToken);
    expect(await usage.openAdmin.isHidden()).toBe(true);
    expect(await usage.adminView.isHidden()).toBe(true);
    // Not even hidden: the reader's figures left the page with the reader.
    expect(await page.locator('#usage-totals > *, #panel-usage .chart-slot > *').count()).toBe(0);
  });

  it('renders the usage view from real numbers after some chats (totals, by day, by model, users, departments)', async () => {
    // The department's user chats too.
    await chat.send('Hello from the research department [[interval=1 chunks=25]]');
    await chat.replyDone();
    await usage.signIn(stack.adminToken);
    // The last account's open session is not asked for under the new one.
    expect(await page.locator('#notices .notice.error').count()).toBe(0);
    await usage.openAdmin.click();
    await usage.figure('每日 Token').locator('svg').waitFor();

    const rows = await ledger();
    expect(rows).toHaveLength(3);
    const tokens = sum(rows, 'totalTokens');
    const input = rows.reduce((t, r) => t + r.inputTokens, 0);
    const output = rows.reduce((t, r) => t + r.outputTokens, 0);
    expect(await usage.stat('运行次数')).toBe('3');
    expect(await usage.stat('合计 Token')).toBe(countText(tokens));
    expect(await usage.stat('输入 Token')).toBe(countText(input));
    expect(await usage.stat('输出 Token')).toBe(countText(output));
    expect(await usage.stat('费用')).toBe(moneyText(sum(rows, 'costMicros'), 'CNY'));

    // Every day of the month so far, today's column holding all three runs.
    const days = await usage.chartRows('每日 Token');
    const today = days.at(-1)!;
    expect(today.slice(1)).toEqual(['3', countText(input), countText(output), countText(tokens)]);
    expect(days.slice(0, -1).every((day) => day[4] === '0')).toBe(true);
    const svg = usage.figure('每日 Token').locator('svg');
    expect(await svg.getAttribute('role')).toBe('img');
    expect(await svg.locator('desc').textContent()).toContain(`${countText(tokens)} Token`);
    expect(await svg.locator('.chart-column title').last().textContent()).toBe(`${today[0]}：输入 ${countText(input)} Token，输出 ${countText(output)} Token`);
    expect((await usage.chartRows('每日费用（CNY）')).at(-1)).toEqual([today[0], moneyText(sum(rows, 'costMicros'), 'CNY')]);

    expect((await usage.chartRows('各模型 Token')).map((r) => [r[0], r[5]])).toEqual([['Offline test model (not a real LLM)', countText(tokens)]]);
    const byUser = (id: string) => rows.filter((r) => String(r.userId) === id);
    expect((await usage.chartRows('用户排行')).map((r) => [r[0], r[1], r[5]]).sort()).toEqual(
      [
        ['demo', '2', countText(sum(byUser('2'), 'totalTokens'))],
        ['zhangsan', '3', countText(sum(byUser('3'), 'totalTokens'))],
      ].sort(),
    );
    expect((await usage.chartRows('部门排行')).map((r) => [r[0], r[1], r[5]])).toEqual([['研发部门', '103', countText(sum(byUser('3'), 'totalTokens'))]]);
    expect(await usage.figure('用户排行').locator('.chart-bar').count()).toBe(2);
    // The view scrolls inside the page: a tall window shows all of it.
    await page.setViewportSize({ width: 1280, height: 1700 });
    await page.screenshot({ path: join(ARTIFACTS, 'usage-desktop.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('exports the ledger of the range as CSV', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), usage.exportButton.click()]);
    const csv = await readFile((await download.path())!, 'utf8');
    const lines = csv
      .replace(/^\uFEFF/, '')
      .trim()
      .split(/\r?\n/);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toContain('运行ID');
    expect(download.suggestedFilename()).toMatch(/^ai_usage_\d{4}-\d\d-01_\d{4}-\d\d-\d\d\.csv$/);
  });

  it('round-trips a quota through the editor: a refusal shown in the dialog, add, edit, reload, delete', async () => {
    await usage.tab('quotas').click();
    await page.locator('#quota-add').click();
    await usage.quotaField('subjectType').selectOption('dept');
    await usage.quotaField('subjectId').fill('research');
    await usage.quotaField('period').selectOption('month');
    await usage.quotaField('metric').selectOption('cost');
    await usage.quotaField('limit').fill('12.5');
    await page.locator('#quota-save').click();
    // The API's own message, in the dialog, which keeps what was typed.
    await usage.quotaError.waitFor();
    expect(await usage.quotaError.innerText()).toBe('subjectId: 部门ID必须是数字');
    expect(await usage.quotaField('limit').inputValue()).toBe('12.5');
    expect(await quotas()).toEqual([]);

    await usage.quotaField('subjectId').fill('103');
    await page.locator('#quota-save').click();
    await page.locator('#quota-dialog').waitFor({ state: 'hidden' });
    expect(await chat.notices.filter({ hasText: '新增成功' }).count()).toBe(1);
    const [added] = await quotas();
    expect(added).toMatchObject({
      subjectType: 'dept',
      subjectId: '103',
      period: 'month',
      metric: 'cost',
      currency: 'CNY',
      limit: 12_500_000,
      enforcement: 'hard',
      status: '0',
    });
    await expect.poll(() => usage.quotaRows.count()).toBe(1);
    expect(await usage.quotaRows.first().innerText()).toContain('12.50 CNY');

    await usage.quotaRows.first().getByRole('button', { name: /修改/ }).click();
    expect(await usage.quotaField('limit').inputValue()).toBe('12.5');
    await usage.quotaField('metric').selectOption('tokens');
    await usage.quotaField('limit').fill('50000');
    await usage.quotaField('enforcement').selectOption('soft');
    await usage.quotaField('remark').fill('研发部每月五万');
    await page.locator('#quota-save').click();
    await page.locator('#quota-dialog').waitFor({ state: 'hidden' });
    const [edited] = await quotas();
    expect(edited).toMatchObject({
      quotaId: added!.quotaId,
      metric: 'tokens',
      currency: null,
      limit: 50_000,
      enforcement: 'soft',
      remark: '研发部每月五万',
      updateBy: 'admin',
    });

    // The address keeps the tab: a reload comes back to the editor.
    await chat.reload();
    await expect.poll(() => usage.quotaRows.count()).toBe(1);
    const shown = await usage.quotaRows.first().innerText();
    for (const text of ['部门 103', '每月 Token', '50,000 Token', '软限额', '启用', '研发部每月五万']) expect(shown).toContain(text);
    await page.screenshot({ path: join(ARTIFACTS, 'usage-quotas.png') });

    await usage.quotaRows.first().getByRole('button', { name: /删除/ }).click();
    await page.locator('#confirm-dialog button[value="confirm"]').click();
    await expect.poll(() => usage.quotaRows.count()).toBe(0);
    expect(await quotas()).toEqual([]);
  });

  it('shows a soft quota passed as a note under the reply, once, and the user their standing against it', async () => {
    await page.locator('#quota-add').click();
    await usage.quotaField('subjectId').fill('2');
    await usage.quotaField('limit').fill('1');
    await usage.quotaField('enforcement').selectOption('soft');
    await page.locator('#quota-save').click();
    await page.locator('#quota-dialog').waitFor({ state: 'hidden' });

    await usage.signInAsDefault();
    const standing = usage.myQuotas.first();
    await standing.waitFor();
    expect(await standing.getAttribute('class')).toContain('reached');
    expect(await standing.innerText()).toContain('本人 · 每日 Token · 软限额');
    await chat.send('Over my limit? [[interval=1]]');
    await chat.replyDone();

    const note = chat.lastReply.locator('.msg-note.notice');
    expect(await note.count()).toBe(1);
    expect(await note.innerText()).toMatch(/^已超过用户 demo 的每日Token提醒额度（1 Token），本周期内不再提醒，将于 \d{4}-\d\d-\d\d 00:00:00 重置$/);
    // A note, not an error: the reply is whole and ends as usual.
    expect(await chat.replyText()).toContain('You said: Over my limit?');
    expect(await chat.lastReply.locator('.msg-note.error').count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'usage-notice.png') });

    await chat.send('And again [[interval=1]]');
    await chat.replyDone();
    expect(await chat.lastReply.locator('.msg-note.notice').count()).toBe(0);
    const mine = sum(
      (await ledger()).filter((r) => String(r.userId) === '2'),
      'totalTokens',
    );
    await expect.poll(() => usage.myQuotas.first().innerText()).toContain(`${countText(mine)} Token / 1 Token · 已达到`);
  });

  it('fits a phone (screenshots kept in test/artifacts)', async () => {
    await usage.signIn(stack.adminToken);
    await page.setViewportSize({ width: 390, height: 844 });
    await usage.openAdmin.click();
    await usage.tab('usage').click();
    await usage.figure('每日 Token').locator('svg').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(ARTIFACTS, 'usage-phone.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(started.pageErrors).toEqual([]);
  });
});
