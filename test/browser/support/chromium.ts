import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/**
 * The browser the tests drive: CHROMIUM_PATH when set, else Debian's Chromium when
 * installed, else the one `npm ci` brings (@sparticuz/chromium, a headless build for
 * Linux x64, unpacked into the temp folder on first use), so a fresh clone needs no
 * system browser. Only its binary is used, with our own flags below, not its Lambda
 * defaults (those turn web security off, which the page's CSP test needs on).
 */
export const chromiumPath = async (): Promise<string> => {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  if (existsSync(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`no Chromium for ${process.platform}/${process.arch} in npm: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  const { default: bundled } = await import('@sparticuz/chromium');
  return bundled.executablePath();
};

// Quiet and deterministic: no GPU, no sync, no updates, no background traffic to anywhere.
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh user-data dir, removed on close. */
export const launchChromium = async (): Promise<Browser> => {
  const userDataDir = await mkdtemp(join(tmpdir(), 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: await chromiumPath(),
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 800 },
    locale: 'zh-CN',
    // No slide-in animations: screenshots show the settled page.
    reducedMotion: 'reduce',
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
};
