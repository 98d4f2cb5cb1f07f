import type { Page } from 'playwright-core';

/** The usage view, the quota editor and the sidebar's own use, in Playwright terms (selectors live here, not in the tests). */
export const usagePages = (page: Page) => {
  const quotaForm = page.locator('#quota-form');
  const figure = (caption: string) => page.locator('figure.chart', { has: page.locator('figcaption', { hasText: caption }) });

  return {
    openAdmin: page.locator('#open-admin'),
    adminView: page.locator('#admin-view'),
    tab: (name: 'usage' | 'quotas') => page.locator(`#tab-${name}`),
    exportButton: page.locator('#usage-export'),
    figure,
    /** A chart's table rows, each as its cells' texts (read whether the table is open or not). */
    chartRows: (caption: string) =>
      figure(caption)
        .locator('tbody tr')
        .evaluateAll((rows) => rows.map((row) => [...row.children].map((cell) => cell.textContent ?? ''))),
    /** The figure a total card shows, by its label. */
    stat: (label: string) => page.locator('#usage-totals .stat-card', { hasText: label }).locator('.stat-value').innerText(),
    quotaRows: page.locator('#quota-rows tr'),
    quotaForm,
    quotaField: (name: string) => quotaForm.locator(`[name="${name}"]`),
    quotaError: page.locator('#quota-error'),
    myUsage: page.locator('#my-usage'),
    myPeriod: (label: '今日' | '本月') => page.locator('#my-usage .my-usage-period', { hasText: label }).locator('dd').innerText(),
    myQuotas: page.locator('#my-usage .quota-standing'),

    /** Back from the admin view to the chat, where the sign-in button is. */
    async toChat() {
      if (await page.locator('#admin-view').isVisible()) await page.locator('#admin-back').click();
    },
    /** Signs in with another token through the page's own dialog, as a person switching accounts does. */
    async signIn(token: string) {
      await this.toChat();
      await page.locator('#open-connection').click();
      await page.locator('#conn-token').fill(token);
      await page.locator('#connection-form button[type="submit"]').click();
      await page.locator('#connection-dialog').waitFor({ state: 'hidden' });
      await page.waitForSelector('body[data-ready="true"]');
    },
    /** Back to the page's default token (the local stack's demo user). */
    async signInAsDefault() {
      await this.toChat();
      await page.locator('#open-connection').click();
      await page.locator('#conn-reset').click();
      await page.locator('#connection-dialog').waitFor({ state: 'hidden' });
      await page.waitForSelector('body[data-ready="true"]');
    },
    async openQuotas() {
      await page.locator('#open-admin').click();
      await page.locator('#tab-quotas').click();
      await page.locator('#panel-quotas').waitFor();
    },
  };
};
