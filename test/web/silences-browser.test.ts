/**
 * Silences and per-service autonomy in a real headless Chromium: a person signed in with a named token silences a
 * failing service from the dashboard, sees the overview say it is silenced (not "being fixed"), expires the silence,
 * switches a service's autonomy off and back, and a silence added elsewhere (the CLI) shows up live. Every change
 * names token:<name> in the store. Without Chromium these tests fail, loudly (see browser.ts).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { seed, serverFor, writeTask, type Seeded } from './seed.js';
import { describeBrowser, launchChromium, screenshot, signIn, watchPage, type PageProblems } from './browser.js';
import type { WebServer } from '../../src/web/server.js';
import { createAccessToken } from '../../src/web/access-tokens.js';
import { Silences } from '../../src/control/silences.js';

let seeded: Seeded;
let server: WebServer;
let url: string;
let browser: Browser;
let page: Page;
let problems: PageProblems;

beforeAll(async () => {
  seeded = seed({ port: 0 });
  writeTask(seeded.stores, seeded.clock, 'idle', { status: 'open', symptom: 'unit_failed' });
  server = serverFor(seeded, { eventsPollMs: 200 });
  url = await server.listen();
  browser = await launchChromium();
  page = await browser.newPage();
  page.setDefaultTimeout(15_000);
  problems = await watchPage(page);
  await page.goto(`${url}/`);
  await signIn(page, createAccessToken(seeded.stores, 'alice', 'cli:tester', seeded.clock.now()).token);
});
afterAll(async () => {
  await page?.close();
  await browser?.close();
  await server?.close();
  seeded?.cleanup();
});

describeBrowser('silences and autonomy on the dashboard', () => {
  it('silences a failing service for a time with a comment; the overview says so; expiring it ends it', async () => {
    await page.goto(`${url}/#/silences`);
    await page.locator('.page-silences').waitFor();
    expect(await page.locator('.page-sub').textContent()).toMatch(/No service is silenced now/);

    // A duration it cannot read is refused with the server's reason, and nothing is added.
    await page.locator('#silence-service').selectOption('idle');
    await page.locator('#silence-duration').fill('soon');
    await page.locator('#silence-comment').fill('kernel upgrade');
    await page.locator('#silence-add').click();
    await expect.poll(() => page.locator('#silence-form + .form-error').textContent()).toMatch(/duration/);
    expect(seeded.stores.silences.all()).toEqual([]);

    await page.locator('#silence-duration').fill('1h30m');
    await page.locator('#silence-add').click();
    const row = page.locator('#silences-card tr[data-state="active"]');
    await row.waitFor();
    expect(await row.locator('code').textContent()).toBe('service="idle"');
    expect(await row.textContent()).toContain('token:alice');
    expect(await row.textContent()).toContain('kernel upgrade');
    const [stored] = seeded.stores.silences.all();
    expect(stored).toMatchObject({ author: 'token:alice', comment: 'kernel upgrade', endsAt: stored!.startsAt + 90 * 60_000 });
    await screenshot(page, 'browser', 'desktop-silences');

    await page.goto(`${url}/#/`);
    const idle = page.locator('#services li[data-service="idle"]');
    await idle.waitFor();
    expect(await idle.locator('.pill').first().textContent()).toContain('Silenced — not fixed');
    expect(await idle.locator('[data-mark="silenced"]').textContent()).toMatch(/silenced by token:alice until/);
    await screenshot(page, 'browser', 'desktop-overview-silenced');

    await idle.locator('[data-mark="silenced"]').click();
    await page.locator(`#silences-card [data-expire="${stored!.id}"]`).click();
    await page.locator('.page-sub', { hasText: 'No service is silenced now' }).waitFor();
    expect(seeded.stores.silences.get(stored!.id)).toMatchObject({ expiredBy: 'token:alice' });
    expect(await page.locator('#ended-silences summary').textContent()).toMatch(/Ended silences \(1/);
    await page.goto(`${url}/#/`);
    await page.locator('#services li[data-service="idle"] .pill', { hasText: 'Being fixed' }).waitFor();
    expect(await page.locator('#services li[data-service="idle"] [data-mark="silenced"]').count()).toBe(0);
  });

  it('shows a silence added elsewhere (the CLI) without a reload', async () => {
    await page.goto(`${url}/#/silences`);
    await page.locator('.page-silences').waitFor();
    const silences = new Silences({ repository: seeded.stores.silences, config: seeded.config, clock: seeded.clock, newId: () => 'from-the-cli' });
    silences.add({ matchers: ['service="web"'], endsAt: seeded.clock.now() + 3_600_000, author: 'cli:bob', comment: 'restoring a backup' });
    const row = page.locator('#silences-card tr[data-silence="from-the-cli"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('cli:bob');
    silences.expire('from-the-cli', 'cli:bob');
    await page.locator('#silences-card tr[data-silence="from-the-cli"]').waitFor({ state: 'detached' });
  });

  it("switches a service's autonomy off with a reason and back to the config's, persisted with who did it", async () => {
    await page.goto(`${url}/#/silences`);
    const web = page.locator('#autonomy tr[data-service="web"]');
    await web.waitFor();
    expect(await web.getAttribute('data-mode')).toBe('act');
    await web.locator('select').selectOption('off');
    await web.locator('input').fill('migrating the database');
    await web.locator('[data-switch="web"]').click();
    await page.locator('#autonomy tr[data-service="web"][data-mode="off"]').waitFor();
    expect(seeded.stores.state.autonomyOverrides().get('web')).toMatchObject({ mode: 'off', by: 'token:alice', reason: 'migrating the database' });
    expect(await page.locator('#autonomy tr[data-service="web"]').textContent()).toMatch(/token:alice.*migrating the database/s);

    await page.goto(`${url}/#/`);
    const mark = page.locator('#services li[data-service="web"] [data-mark="autonomy-off"]');
    await mark.waitFor();
    expect(await mark.textContent()).toBe('autonomy off: a person decides');
    await screenshot(page, 'browser', 'desktop-overview-autonomy-off');

    await mark.click();
    const again = page.locator('#autonomy tr[data-service="web"]');
    await again.locator('select').selectOption('config');
    await again.locator('[data-switch="web"]').click();
    await page.locator('#autonomy tr[data-service="web"][data-mode="act"]').waitFor();
    expect(seeded.stores.state.autonomyOverrides().has('web')).toBe(false);
    expect(await page.locator('#autonomy tr[data-service="web"]').textContent()).toContain('the configuration (act)');
    expect(problems.pageErrors).toEqual([]);
    expect(problems.cspViolations).toEqual([]);
    // The refused duration's 400 is the only console error Chromium reports.
    expect(problems.consoleErrors.filter((line) => !/status of 400/.test(line))).toEqual([]);
  });
});
