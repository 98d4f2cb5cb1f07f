import { crc32, deflateSync } from 'node:zlib';
import type { Page } from 'playwright-core';

/** The chat page as a person uses it, in Playwright terms (selectors live here, not in the tests). */
export const chatPage = (page: Page) => {
  const lastReply = page.locator('#message-list .msg-assistant').last();
  const sessions = page.locator('#session-list li');

  return {
    page,
    input: page.locator('#input'),
    sendButton: page.locator('#send'),
    stopButton: page.locator('#stop'),
    lastReply,
    lastReplyBody: lastReply.locator('.msg-body'),
    lastUserMessage: page.locator('#message-list .msg-user').last(),
    sessions,
    notices: page.locator('#notices .notice'),

    async open(url: string) {
      await page.goto(url);
      await page.waitForSelector('body[data-ready="true"]');
    },
    async reload() {
      await page.reload();
      await page.waitForSelector('body[data-ready="true"]');
    },
    /** Types like a person: Shift+Enter between lines, Enter to send. */
    async type(...lines: string[]) {
      await page.locator('#input').click();
      for (const [i, line] of lines.entries()) {
        if (i) await page.keyboard.press('Shift+Enter');
        await page.keyboard.type(line);
      }
    },
    async send(...lines: string[]) {
      await this.type(...lines);
      await page.keyboard.press('Enter');
    },
    /** Waits until no reply streams any more. */
    async replyDone() {
      await page.locator('#message-list .msg-assistant.streaming').waitFor({ state: 'detached' });
      await page.locator('#send').waitFor({ state: 'visible' });
    },
    /** The rendered text of the newest reply, line breaks kept. */
    replyText: () => lastReply.locator('.msg-body').innerText(),
    sessionRow: (index: number) => sessions.nth(index),
    async newChat() {
      await page.locator('#new-chat').click();
    },
  };
};

export type ChatPage = ReturnType<typeof chatPage>;

/**
 * Records every distinct text the newest reply shows while it streams, by watching the
 * DOM, so a test can tell a reply that appeared in pieces from one shown all at once.
 */
export const recordReplyStates = (page: Page) =>
  page.evaluate(() => {
    const states: string[] = [];
    (window as unknown as { __replyStates: string[] }).__replyStates = states;
    const list = document.getElementById('message-list')!;
    new MutationObserver(() => {
      const body = list.querySelector('.msg-assistant:last-of-type .msg-body') as HTMLElement | null;
      const text = body?.innerText ?? '';
      if (text && text !== states.at(-1)) states.push(text);
    }).observe(list, { subtree: true, childList: true, characterData: true });
  });

export const replyStates = (page: Page) => page.evaluate(() => (window as unknown as { __replyStates: string[] }).__replyStates);

const pngChunk = (type: string, data: Buffer) => {
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
};

/** A real PNG of one colour (RGB, 8 bits), so the browser can decode and show it. */
export const solidPng = (width: number, height: number, rgb: [number, number, number]) => {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', pixels),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
};
