import { join } from 'node:path';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Browser } from './support/chromium.ts';

/**
 * The reply renderer (web/src/markdown.ts) in Chromium, the DOM it runs on: a reply that
 * names images, by Markdown or by HTML, renders links to them and loads nothing, even
 * once the result is in a live document with no CSP to catch what the renderer missed.
 */

let browser: Browser;
let page: Page;
const requested: string[] = [];

interface Rendered {
  html: string;
  tags: string[];
  links: { href: string | null; text: string; target: string | null; rel: string | null }[];
  attributes: string[];
}

/** Renders `text`, puts the result into the live page, and describes what it holds. */
const render = (text: string): Promise<Rendered> =>
  page.evaluate((source) => {
    const html = (window as unknown as { md: { renderMarkdown(t: string): string } }).md.renderMarkdown(source);
    const host = document.createElement('div');
    host.innerHTML = html;
    document.body.append(host);
    const all = [...host.querySelectorAll('*')];
    return {
      html,
      tags: [...new Set(all.map((el) => el.tagName.toLowerCase()))],
      links: [...host.querySelectorAll('a')].map((a) => ({
        href: a.getAttribute('href'),
        text: a.textContent ?? '',
        target: a.getAttribute('target'),
        rel: a.getAttribute('rel'),
      })),
      attributes: [...new Set(all.flatMap((el) => [...el.attributes].map((a) => a.name)))],
    };
  }, text);

beforeAll(async () => {
  const bundle = await build({
    entryPoints: [join(import.meta.dirname, '..', '..', 'web', 'src', 'markdown.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'md',
    platform: 'browser',
    logLevel: 'warning',
  });
  browser = await launchChromium();
  page = await browser.context.newPage();
  // Every request the page makes is recorded and answered, so a load would be seen, not fail silently.
  await page.route('**/*', (route) => {
    requested.push(route.request().url());
    return route.fulfill({ status: 200, contentType: 'image/png', body: Buffer.alloc(0) });
  });
  await page.setContent('<!doctype html><html><body></body></html>');
  await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

const EVIL = 'https://evil.example';

describe('renderMarkdown: images in a reply become links and nothing loads', () => {
  it('a Markdown image is a link to its URL, labelled with its alt text', async () => {
    const out = await render(`Here: ![chart of q3](${EVIL}/md.png?q=the+conversation)`);
    expect(out.tags).not.toContain('img');
    expect(out.links).toEqual([{ href: `${EVIL}/md.png?q=the+conversation`, text: '🖼 chart of q3', target: '_blank', rel: 'noopener noreferrer' }]);
  });

  it('a raw <img> is a link too, its handlers and srcset gone; without alt the URL is the label', async () => {
    const out = await render(`<img src="${EVIL}/raw.png" srcset="${EVIL}/set.png 2x" onerror="window.__x=1">`);
    expect(out.tags).not.toContain('img');
    expect(out.links).toEqual([{ href: `${EVIL}/raw.png`, text: `🖼 ${EVIL}/raw.png`, target: '_blank', rel: 'noopener noreferrer' }]);
    expect(out.html).not.toContain('onerror');
    expect(out.html).not.toContain('set.png');
  });

  it('an image with an unsafe or no source leaves only its alt text', async () => {
    for (const markup of ['<img src="javascript:alert(1)" alt="bad">', '<img alt="bad">']) {
      const out = await render(markup);
      expect(out.tags).toEqual([]);
      expect(out.links).toEqual([]);
      expect(out.html).toBe('bad');
    }
  });

  it('an image inside a link or a picture is still only a link', async () => {
    const out = await render(
      `[![logo](${EVIL}/in-link.png)](https://example.com/) <picture><source srcset="${EVIL}/source.png"><img src="${EVIL}/pic.png" alt="p"></picture>`,
    );
    expect(out.tags).not.toContain('img');
    expect(out.tags).not.toContain('picture');
    expect(out.tags).not.toContain('source');
    expect(out.links.map((l) => l.href)).toEqual(expect.arrayContaining([`${EVIL}/in-link.png`, `${EVIL}/pic.png`]));
  });

  it('media, posters, table backgrounds and inline styles are dropped', async () => {
    const out = await render(
      `<video poster="${EVIL}/poster.png" src="${EVIL}/v.mp4"></video><audio src="${EVIL}/a.mp3"></audio>` +
        `<table background="${EVIL}/bg.png"><tr><td style="background:url(${EVIL}/style.png)">cell</td></tr></table>`,
    );
    expect(out.tags).not.toContain('video');
    expect(out.tags).not.toContain('audio');
    expect(out.attributes).not.toContain('style');
    expect(out.attributes).not.toContain('background');
    expect(out.html).not.toContain(EVIL);
  });

  it('ordinary Markdown still renders: emphasis, code, links, tables', async () => {
    const out = await render('**bold** `code` [site](https://example.com/)\n\n| a | b |\n| - | - |\n| 1 | 2 |');
    expect(out.tags).toEqual(expect.arrayContaining(['strong', 'code', 'a', 'table']));
    expect(out.links).toEqual([{ href: 'https://example.com/', text: 'site', target: '_blank', rel: 'noopener noreferrer' }]);
  });

  it('after all of the above in a live document, the page requested nothing', async () => {
    // An image of our own, inserted last and waited for: any load the replies started was requested before it.
    const sentinel = 'https://sentinel.invalid/after-all.png';
    await page.evaluate(
      (src) =>
        new Promise((done) => {
          const img = document.createElement('img');
          img.onload = img.onerror = done;
          img.src = src;
          document.body.append(img);
        }),
      sentinel,
    );
    expect(requested).toEqual([sentinel]);
  });
});
