import { join } from 'node:path';
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { chatPage, recordReplyStates, replyStates, solidPng, type ChatPage } from './support/chat-page.ts';
import { ARTIFACTS, startPageStack, type PageStack } from './support/page-stack.ts';

/**
 * The web page in Debian's Chromium against the whole local stack (real handlers,
 * DynamoDB Local, the offline model server). The tests run in order as one person's
 * visit: later ones use the sessions and config earlier ones made. The offline model
 * is steered by `[[…]]` directives in the message (see local/model-server.ts).
 */

const OFFLINE_REPLY = 'This is the offline test server, not a real model. You said:';

let started: PageStack;
let stack: LocalStack;
let page: Page;
let chat: ChatPage;

/** The REST API as the page's user, to check what the page did. */
const api = async (path: string, init: RequestInit = {}) => {
  const res = await fetch(`${stack.url}${path}`, { ...init, headers: { authorization: `Bearer ${stack.userToken}`, ...init.headers } });
  return (await res.json()) as { code: number; msg: string; data?: unknown };
};

const isStream = (request: Request) => request.method() === 'POST' && new URL(request.url()).pathname.match(/^\/(ai\/chat\/send)?$/) !== null;

beforeAll(async () => {
  started = await startPageStack();
  ({ stack, page } = started);
  chat = chatPage(page);
}, 180_000);

afterAll(() => started?.stop(), 60_000);

describe('web chat page', () => {
  it('signs in with the local dev token and lists the seeded model', async () => {
    await chat.open(stack.url);
    const options = await page.locator('#model-select option').allTextContents();
    expect(options).toEqual(['Offline test model (not a real LLM)']);
    expect(await page.locator('#empty-state').isVisible()).toBe(true);
    await expect.poll(() => chat.sessions.count()).toBe(0);
  });

  it('sends with Enter (Shift+Enter breaks the line) and shows the reply in pieces', async () => {
    await recordReplyStates(page);
    await chat.send('Line one', 'line two [[interval=60]]');
    await chat.replyDone();

    expect(await chat.lastUserMessage.innerText()).toBe('Line one\nline two [[interval=60]]');
    const final = await chat.replyText();
    expect(final).toBe(`${OFFLINE_REPLY} Line one\nline two`);
    const states = await replyStates(page);
    expect(states.length).toBeGreaterThan(2);
    for (const state of states) expect(final.startsWith(state.trimEnd())).toBe(true);
    expect(states[0]!.length).toBeLessThan(final.length);
    // The metrics line stays hidden while the config says so (default '1').
    expect(await chat.lastReply.locator('.metrics').isVisible()).toBe(false);
    await expect.poll(() => chat.sessions.count()).toBe(1);
  });

  it('shows reasoning in a collapsible block when deep thinking is on', async () => {
    await page.locator('#reasoning').check();
    await chat.send('Think first [[interval=1]]');
    await chat.replyDone();
    await page.locator('#reasoning').uncheck();

    const block = chat.lastReply.locator('details.reasoning');
    expect(await block.locator('.reasoning-text').innerText()).toContain('The user wrote a message.');
    expect(await block.getAttribute('open')).not.toBeNull();
    await block.locator('summary').click();
    expect(await block.getAttribute('open')).toBeNull();
    expect(await block.locator('.reasoning-text').isVisible()).toBe(false);
  });

  it('stops mid-reply: cancel API first, then the fetch; the partial reply survives a reload', async () => {
    await chat.newChat();
    const order: string[] = [];
    let cancelBody: unknown;
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/ai/chat/cancel') {
        order.push('cancel sent');
        cancelBody = request.postDataJSON();
      }
    });
    const streamEnded = (request: Request) => isStream(request) && order.push('stream ended');
    page.on('requestfailed', streamEnded);
    page.on('requestfinished', streamEnded);

    await chat.send('Tell me a long story [[interval=60 chunks=2000]]');
    await page.waitForFunction(() => {
      const body = document.querySelector('#message-list .msg-assistant:last-of-type .msg-body') as HTMLElement | null;
      return (body?.innerText.split(/\s+/).length ?? 0) >= 5;
    });
    // The stop answers once the run is stored, after the page has already hidden its spinner: waited for on its own.
    const cancelAnswered = page.waitForResponse((response) => new URL(response.url()).pathname === '/ai/chat/cancel');
    await chat.stopButton.click();
    await chat.replyDone();

    expect(await chat.lastReply.locator('.msg-note.stopped').innerText()).toBe('已停止生成');
    const partial = (await chat.replyText()).trim();
    expect(partial.startsWith('This is the')).toBe(true);
    expect(partial.split(/\s+/).length).toBeLessThan(2000);
    expect(order[0]).toBe('cancel sent');
    expect(order).toContain('stream ended');
    expect(cancelBody).toEqual({ runId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    // The service knew the run: the page sent the id the stream announced.
    expect(await (await cancelAnswered).json()).toMatchObject({ code: 200, msg: '取消成功' });

    // The stop answers once the stream function stored the stopped run (its next status
    // poll saw the cancel; Lambda never tells it the client left): a reload right away finds it.
    const sessions = (await api('/ai/chat/session/list')).data as { sessionId: string }[];
    const detail = (await api(`/ai/chat/session/${sessions[0]?.sessionId}`)).data as { messages?: unknown[] } | undefined;
    expect(detail?.messages).toHaveLength(2);
    await chat.reload();
    await expect.poll(() => page.locator('#message-list .msg-assistant').count()).toBe(1);
    const stored = (await chat.replyText()).trim();
    expect(stored.startsWith(partial)).toBe(true);
    expect(stored.split(/\s+/).length).toBeLessThan(2000);
    expect(await chat.lastUserMessage.innerText()).toBe('Tell me a long story [[interval=60 chunks=2000]]');
  });

  it('lists sessions newest first and opens an older one', async () => {
    await expect.poll(() => chat.sessions.count()).toBe(2);
    expect(await chat.sessionRow(0).locator('.session-title').innerText()).toMatch(/^Tell me a long story/);
    await chat.sessionRow(1).locator('.session-open').click();

    await expect.poll(() => page.locator('#message-list .msg-user').count()).toBe(2);
    expect(await page.locator('#message-list .msg-user').first().innerText()).toBe('Line one\nline two [[interval=60]]');
    expect(await chat.replyText()).toContain('You said: Think first');
    expect(await chat.sessionRow(1).locator('.session-open').getAttribute('aria-current')).not.toBeNull();
  });

  it('deletes a session only after confirming', async () => {
    const older = await chat.sessionRow(1).getAttribute('data-session-id');
    await chat.sessionRow(1).hover();
    await chat.sessionRow(1).locator('.session-delete').click();
    await page.locator('#confirm-dialog button[value="cancel"]').click();
    expect(await chat.sessions.count()).toBe(2);
    expect(await api(`/ai/chat/session/${older}`)).toMatchObject({ code: 200 });

    await chat.sessionRow(1).locator('.session-delete').click();
    expect(await page.locator('#confirm-message').innerText()).toContain('删除会话');
    await page.locator('#confirm-dialog button[value="confirm"]').click();
    await expect.poll(() => chat.sessions.count()).toBe(1);
    expect(await chat.notices.filter({ hasText: '删除成功' }).count()).toBe(1);
    // The open session was the one deleted: the page starts a new chat.
    expect(await page.locator('#empty-state').isVisible()).toBe(true);

    await chat.reload();
    expect(await chat.sessions.count()).toBe(1);
    expect(await api(`/ai/chat/session/${older}`)).toMatchObject({ code: 500, msg: '会话不存在' });
  });

  it('saves every config field and applies the metrics flag', async () => {
    await chat.sessionRow(0).locator('.session-open').click();
    await page.locator('#open-config').click();
    const form = page.locator('#config-form');
    await form.locator('[name="temperature"]').fill('0.3');
    await form.locator('[name="addHistoryToContext"]').uncheck();
    await form.locator('[name="numHistoryRuns"]').fill('5');
    await form.locator('[name="systemPrompt"]').fill('Answer briefly.');
    await form.locator('[name="metricsDefaultVisible"]').check();
    await form.locator('[name="visionEnabled"]').check();
    await form.locator('[name="imageMaxSizeMb"]').fill('1');
    await page.locator('#config-save').click();

    await page.locator('#config-dialog').waitFor({ state: 'hidden' });
    expect(await chat.notices.filter({ hasText: '保存成功' }).count()).toBeGreaterThan(0);
    const saved = (await api('/ai/chat/config')).data;
    expect(saved).toMatchObject({
      temperature: 0.3,
      addHistoryToContext: '1',
      numHistoryRuns: 5,
      systemPrompt: 'Answer briefly.',
      metricsDefaultVisible: '0',
      visionEnabled: '0',
      imageMaxSizeMb: 1,
    });

    await chat.send('Now with metrics [[interval=1]]');
    await chat.replyDone();
    expect(await chat.lastReply.locator('.metrics').innerText()).toMatch(/输入 \d+ · 输出 \d+ · 合计 \d+ tokens/);

    await chat.reload();
    await page.locator('#open-config').click();
    expect(await form.locator('[name="systemPrompt"]').inputValue()).toBe('Answer briefly.');
    expect(await form.locator('[name="addHistoryToContext"]').isChecked()).toBe(false);
    expect(await page.locator('#config-id').innerText()).toMatch(/^\d+$/);
    await page.locator('#config-cancel').click();
  });

  it('checks the size limit before uploading, then attaches, previews and sends an image', async () => {
    const uploads: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/ai/chat/upload') uploads.push(request.url());
    });
    const streamBodies: unknown[] = [];
    page.on('request', (request) => {
      if (isStream(request)) streamBodies.push(request.postDataJSON());
    });
    await chat.newChat();
    await page.locator('#attach').waitFor({ state: 'visible' });

    const tooBig = Buffer.alloc(1024 * 1024 + 1, 0);
    await page.locator('#file-input').setInputFiles({ name: 'big.png', mimeType: 'image/png', buffer: tooBig });
    await chat.notices.filter({ hasText: '超过大小限制 1 MB' }).waitFor();
    expect(await page.locator('#attachments .attachment').count()).toBe(0);
    expect(uploads).toEqual([]);

    await page.locator('#file-input').setInputFiles({ name: 'blue.png', mimeType: 'image/png', buffer: solidPng(48, 32, [30, 120, 255]) });
    await page.locator('#attachments .attachment:not(.uploading) img').waitFor();
    expect(uploads).toHaveLength(1);
    await chat.send('What is in this picture? [[interval=1]]');
    await chat.replyDone();

    expect(streamBodies.at(-1)).toMatchObject({ images: [expect.stringMatching(/^uploads\/2\/[\w-]+\.png$/)] });
    expect(await page.locator('#attachments .attachment').count()).toBe(0);
    await chat.reload();
    const shown = chat.lastUserMessage.locator('img');
    await expect.poll(() => shown.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(48);
    expect(await shown.getAttribute('src')).toMatch(/^http/);
  });

  it('renders a reply with HTML and script inert, live and after reload', async () => {
    await chat.newChat();
    await chat.send('Show me markup [[xss interval=1]]');
    await chat.replyDone();

    const inert = async () => {
      const body = chat.lastReplyBody;
      expect(await body.locator('strong').innerText()).toBe('Bold');
      expect(await page.locator('#message-list script').count()).toBe(0);
      const handlers = await page
        .locator('#message-list *')
        .evaluateAll((els) => els.flatMap((el) => [...el.attributes].filter((a) => a.name.startsWith('on')).map((a) => a.name)));
      expect(handlers).toEqual([]);
      const hrefs = await body.locator('a').evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
      expect(hrefs.filter((href) => /^\s*javascript:/i.test(href))).toEqual([]);
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    };
    await inert();
    await chat.reload();
    await inert();
  });

  it('tests the selected model: refused for a chat-only user, the time to first text for an admin', async () => {
    await page.locator('#test-model').click();
    await expect.poll(() => chat.notices.filter({ hasText: '该用户无此接口权限' }).count()).toBe(1);

    await page.locator('#open-connection').click();
    await page.locator('#conn-token').fill(stack.adminToken);
    await page.locator('#connection-form button[type="submit"]').click();
    await page.locator('#connection-dialog').waitFor({ state: 'hidden' });
    await page.locator('#test-model').click();
    const passed = chat.notices.filter({ hasText: /连接成功，首字耗时 [\d.]+ 秒/ });
    await passed.first().waitFor();
    expect(await passed.first().innerText()).toContain('Offline test model');
    expect(await page.locator('#test-model').isDisabled()).toBe(false);
  });

  it('shows the envelope message of a refused request (bad token), with nothing of the last account left, and signs in again', async () => {
    const expected = await fetch(`${stack.url}/ai/model/all`, { headers: { authorization: 'Bearer not-a-jwt' } }).then((r) => r.json());
    // The demo user's account, with a conversation open and its own use shown.
    await page.locator('#open-connection').click();
    await page.locator('#conn-reset').click();
    await expect.poll(() => chat.sessions.count()).toBeGreaterThan(0);
    await chat.sessionRow(0).click();
    await expect.poll(() => page.locator('#message-list > *').count()).toBeGreaterThan(0);
    await page.locator('#my-usage').waitFor();

    await page.locator('#open-connection').click();
    await page.locator('#conn-token').fill('not-a-jwt');
    await page.locator('#connection-form button[type="submit"]').click();

    const reason = page.locator('#conn-reason');
    await reason.waitFor({ state: 'visible' });
    expect(await reason.innerText()).toContain((expected as { msg: string }).msg);
    // Refused: the page shows nothing of the demo user's any more.
    expect(await chat.sessions.count()).toBe(0);
    expect(await page.locator('#message-list > *').count()).toBe(0);
    expect(await page.locator('#my-usage').isHidden()).toBe(true);
    expect(await page.locator('#model-select option[value]:not([value=""])').count()).toBe(0);
    await page.locator('#conn-reset').click();
    await expect.poll(() => chat.sessions.count()).toBeGreaterThan(0);
    expect(await page.locator('#connection-dialog').isVisible()).toBe(false);
  });

  it('looks right at desktop and phone width (screenshots kept in test/artifacts)', async () => {
    // One turn with everything a reply can show: an image, reasoning, the reply, metrics.
    await chat.newChat();
    await page.locator('#file-input').setInputFiles({ name: 'blue.png', mimeType: 'image/png', buffer: solidPng(96, 64, [30, 120, 255]) });
    await page.locator('#attachments .attachment:not(.uploading)').waitFor();
    await page.locator('#reasoning').check();
    await chat.send('Describe this picture [[interval=1]]');
    await chat.replyDone();
    await page.locator('#reasoning').uncheck();
    await page.screenshot({ path: join(ARTIFACTS, 'chat-desktop.png') });

    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('#sidebar').waitFor({ state: 'hidden' });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(ARTIFACTS, 'chat-phone.png') });
    await page.locator('#toggle-sidebar').click();
    await page.locator('#sidebar.open').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'chat-phone-sessions.png') });
    await page.locator('#scrim').click({ position: { x: 370, y: 400 } });
    await page.locator('#sidebar').waitFor({ state: 'hidden' });
    await page.setViewportSize({ width: 1280, height: 800 });

    expect(started.pageErrors).toEqual([]);
  });
});
