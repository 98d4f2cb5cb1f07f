import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWeb } from '../../local/build-web.ts';
import { hostAllowed } from '../../local/host-guard.ts';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { chatPage, solidPng, type ChatPage } from './support/chat-page.ts';
import { launchChromium, type Browser } from './support/chromium.ts';

/**
 * Issue 14, items 4 and 7, against the whole local stack: the server answers only its
 * own host names, and a reply cannot make the page load anything from elsewhere. The page
 * is opened at `localhost`, while the API and the images are at `127.0.0.1` (the public
 * URL): so the image origin in the policy is one the page does not share.
 */

let stack: LocalStack;
let port: number;
let webDir: string;
let browser: Browser;
let page: Page;
let chat: ChatPage;
/** Another origin, as a prompt injection would name: every request it receives is kept. */
let foreign: { server: Server; url: string; requests: string[] };

/** Raw HTTP to the stack with a chosen Host header, as a DNS-rebinding page would send it. */
const withHost = (host: string, path: string, method = 'GET') =>
  new Promise<{ status: number; body: string }>((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { host, authorization: `Bearer ${stack.userToken}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c) => (body += c));
      res.on('end', () => done({ status: res.statusCode!, body }));
    });
    req.on('error', fail).end();
  });

const startForeign = async () => {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'image/png' }).end(solidPng(2, 2, [255, 0, 0]));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, requests, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
};

beforeAll(async () => {
  webDir = await mkdtemp(join(tmpdir(), 'page-security-web-'));
  stack = await startLocalStack({ webDistDir: webDir, env: { LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true' } });
  port = Number(new URL(stack.url).port);
  // Built once the stack's URL is known, as `npm start` builds it for its public URL.
  await buildWeb({ outDir: webDir, imageOrigins: [stack.url] });
  foreign = await startForeign();
  browser = await launchChromium();
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
  chat = chatPage(page);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  foreign?.server.close();
  if (webDir) await rm(webDir, { recursive: true, force: true });
}, 60_000);

describe('the local server answers only its own host names', () => {
  it.each(['evil.example', 'evil.example:PORT', 'localhost.evil.example:PORT', '127.0.0.1.nip.io:PORT', '127.0.0.2:PORT'])(
    'refuses Host %j with 421 before routing: no config, no API, no preflight',
    async (template) => {
      const host = template.replace('PORT', String(port));
      for (const [method, path] of [
        ['GET', '/config.json'],
        ['GET', '/'],
        ['GET', '/ai/model/all'],
        ['OPTIONS', '/ai/model/all'],
        ['POST', '/ai/chat/send'],
      ]) {
        const res = await withHost(host, path!, method);
        expect(res.status, `${method} ${path}`).toBe(421);
        expect(res.body).not.toContain(stack.userToken);
      }
    },
  );

  it.each(['127.0.0.1:PORT', 'localhost:PORT', 'LOCALHOST:PORT', '[::1]:PORT'])('answers Host %j', async (template) => {
    const res = await withHost(template.replace('PORT', String(port)), '/config.json');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ token: stack.userToken });
    expect((await withHost(template.replace('PORT', String(port)), '/ai/model/all')).status).toBe(200);
  });

  it('admits a loopback name on any port: a reverse proxy in front may pass its own (Host $host)', async () => {
    expect((await withHost(`localhost:${port + 1}`, '/config.json')).status).toBe(200);
  });

  it("admits loopback names and the public URL's host as the browser sends it, nothing else", () => {
    for (const host of ['localhost:3000', '127.0.0.1', '[::1]:8080', 'LOCALHOST']) expect(hostAllowed(host, 'https://chat.example.com/'), host).toBe(true);
    expect(hostAllowed('Chat.Example.com', 'https://chat.example.com/')).toBe(true);
    expect(hostAllowed('chat.example.com:8080', 'http://chat.example.com:8080')).toBe(true);
    for (const host of [undefined, '', 'chat.example.com:8080', 'rebind.example.com', 'localhost.example.com', '127.0.0.1.nip.io', 'a b']) {
      expect(hostAllowed(host, 'https://chat.example.com/'), String(host)).toBe(false);
    }
  });
});

/** Waits for an image of the page's own origin, inserted last: any load a reply started was requested before it. */
const settle = () =>
  page.evaluate(
    () =>
      new Promise((done) => {
        const img = document.createElement('img');
        img.onload = img.onerror = done;
        img.src = `${location.origin}/settle-${Date.now()}.png`;
        document.body.append(img);
      }),
  );

describe('the page loads nothing a reply names', () => {
  it('is served with a policy whose img-src is its own origin, data:, blob: and the image origin only', async () => {
    const res = await fetch(`${stack.url}/`);
    const header = res.headers.get('content-security-policy') ?? '';
    const meta = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(await res.text())?.[1];
    for (const policy of [header, meta]) {
      expect(policy).toContain(`img-src 'self' data: blob: ${stack.url};`);
      expect(policy).not.toMatch(/img-src[^;]*(https?:(?!\/\/)|\*)/);
    }
  });

  it('renders images in a reply as links and requests nothing from their origin, live and after reload', async () => {
    await chat.open(`http://localhost:${port}/`);
    await chat.send(`Look ![leak](${foreign.url}/md.png?q=secret) and <img src="${foreign.url}/raw.png?q=secret"> [[interval=1]]`);
    await chat.replyDone();
    const links = () => chat.lastReplyBody.locator('a.image-link').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(await links()).toEqual([`${foreign.url}/md.png?q=secret`, `${foreign.url}/raw.png?q=secret`]);
    expect(await chat.lastReplyBody.locator('img').count()).toBe(0);
    await chat.reload();
    expect(await links()).toEqual([`${foreign.url}/md.png?q=secret`, `${foreign.url}/raw.png?q=secret`]);
    await settle();
    expect(foreign.requests).toEqual([]);
  });

  it('the policy blocks a foreign image even if one got into the page', async () => {
    const outcome = await page.evaluate(
      (src) =>
        new Promise<string>((done) => {
          document.addEventListener('securitypolicyviolation', (e) => done(`blocked by ${e.effectiveDirective}: ${e.blockedURI}`));
          const img = document.createElement('img');
          img.onload = () => done('loaded');
          img.src = src;
          document.body.append(img);
        }),
      `${foreign.url}/injected.png`,
    );
    expect(outcome).toBe(`blocked by img-src: ${foreign.url}/injected.png`);
    await settle();
    expect(foreign.requests).toEqual([]);
  });

  it('still shows an uploaded image from the image origin, which is not the page origin', async () => {
    await chat.newChat();
    await page.locator('#file-input').setInputFiles({ name: 'blue.png', mimeType: 'image/png', buffer: solidPng(48, 32, [30, 120, 255]) });
    await page.locator('#attachments .attachment:not(.uploading) img').waitFor();
    await chat.send('What is in this picture? [[interval=1]]');
    await chat.replyDone();
    await chat.reload();
    const shown = chat.lastUserMessage.locator('img');
    await expect.poll(() => shown.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(48);
    expect(new URL((await shown.getAttribute('src'))!).origin).toBe(stack.url);
    expect(new URL(page.url()).origin).not.toBe(stack.url);
  });
});
