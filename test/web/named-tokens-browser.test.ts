/**
 * The escalations page in a real headless Chromium says who did what: a person logs in through the form with their
 * own named token, acknowledges, asks for a retry and resolves, and each card names token:<name>. Without Chromium
 * these tests fail, loudly (see browser.ts).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { seed, serverFor, type Seeded } from './seed.js';
import { describeBrowser, launchChromium, screenshot, signIn, watchPage } from './browser.js';
import type { WebServer } from '../../src/web/server.js';
import { createAccessToken } from '../../src/web/access-tokens.js';

let seeded: Seeded;
let server: WebServer;
let url: string;
let browser: Browser;

beforeAll(async () => {
  seeded = seed({ port: 0 });
  server = serverFor(seeded, { eventsPollMs: 200 });
  url = await server.listen();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  seeded?.cleanup();
});

describeBrowser('who did it, on the escalations page', () => {
  it('names the token that acknowledged, asked for a retry and resolved', async () => {
    const alice = createAccessToken(seeded.stores, 'alice', 'cli:tester', seeded.clock.now()).token;
    const page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    const problems = await watchPage(page);
    try {
      await page.goto(`${url}/`);
      await signIn(page, alice);
      await page.goto(`${url}/#/escalations`);
      const db = page.locator(`#escalation-${seeded.dbEscalation.id}`);
      await db.locator('[data-action="ack"]').click();
      const acknowledged = page.locator(`#escalation-${seeded.dbEscalation.id}[data-status="acknowledged"]`);
      await acknowledged.waitFor();
      await expect.poll(() => acknowledged.locator('.esc-meta').textContent()).toMatch(/acknowledged by token:alice /);
      expect(await acknowledged.locator('[data-field="acknowledged-by"]').textContent()).toBe('token:alice');
      expect(await acknowledged.locator('.esc-actions').textContent()).toContain('Acknowledged by token:alice');

      await acknowledged.locator('[data-action="retry"]').click();
      await expect.poll(() => page.locator(`#escalation-${seeded.dbEscalation.id} [data-field="retry-requested-by"]`).textContent()).toMatch(/^Requested by token:alice /);

      const queue = page.locator(`#escalation-${seeded.queueEscalation.id}`);
      await queue.getByRole('button', { name: 'Mark resolved' }).click();
      const resolved = page.locator(`#escalation-${seeded.queueEscalation.id}[data-status="resolved"]`);
      await resolved.waitFor();
      expect(await resolved.locator('[data-field="resolved-by"]').textContent()).toBe('token:alice');
      expect(seeded.stores.escalations.get(seeded.queueEscalation.id)).toMatchObject({ status: 'resolved', resolvedBy: 'token:alice' });
      await screenshot(page, 'browser', 'desktop-escalations-who');
      expect(problems.pageErrors).toEqual([]);
      expect(problems.cspViolations).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
