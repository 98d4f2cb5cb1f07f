import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { buildWeb } from '../../../local/build-web.ts';
import { startLocalStack, type LocalStack } from '../../../local/stack.ts';
import { launchChromium } from './chromium.ts';

/** Where the tests keep their screenshots (ignored by git). */
export const ARTIFACTS = join(import.meta.dirname, '..', '..', 'artifacts');

export interface PageStack {
  stack: LocalStack;
  page: Page;
  /** What the page threw and nobody caught. */
  pageErrors: string[];
  stop(): Promise<void>;
}

/**
 * The page built into web/dist, the whole local stack serving it, and Chromium on one
 * page. `env` is added to the handlers' environment.
 */
export const startPageStack = async (env: Record<string, string> = {}): Promise<PageStack> => {
  await buildWeb();
  // Handler logs and metrics would bury the test report; the API tests cover them.
  const stack = await startLocalStack({ env: { LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true', ...env } });
  const home = await fetch(`${stack.url}/`);
  if (!home.ok) {
    await stack.stop();
    throw new Error(`the local stack answers GET / with HTTP ${home.status}: it must mount createWebRoute (local/web-route.ts)`);
  }
  const browser = await launchChromium();
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await mkdir(ARTIFACTS, { recursive: true });
  return {
    stack,
    page,
    pageErrors,
    async stop() {
      await browser.close();
      await stack.stop();
    },
  };
};
