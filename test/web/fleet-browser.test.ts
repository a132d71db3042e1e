/**
 * The fleet page in a real headless Chromium over a SQLite fleet store of three hosts (test/web/fleet-seed.ts):
 * the Fleet link shows once signed in, the hosts are listed with the silent one first and marked, tasks filter by
 * host and status through the hash, a fleet task opens on its timeline, patterns show each host's record, the
 * fleet kill switch is shown, each host opens on its own page, and a phone-sized screen never scrolls sideways. Without Chromium these tests fail,
 * loudly (see browser.ts).
 */
import { FLEET_OVERVIEW_MAX_AGE_MS } from '../../src/web/fleet-data.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { seed, serverFor, type Seeded } from './seed.js';
import { PLAN, seedFleet, type SeededFleet } from './fleet-seed.js';
import { describeBrowser, DESKTOP, PHONE, horizontalOverflow, launchChromium, screenshot, signIn, watchPage, type PageProblems } from './browser.js';
import type { WebServer } from '../../src/web/server.js';

let seeded: Seeded;
let fleet: SeededFleet;
let server: WebServer;
let url: string;
let browser: Browser;
let desktop: BrowserContext;
let page: Page;
let problems: PageProblems;

beforeAll(async () => {
  seeded = seed({ port: 0 });
  fleet = await seedFleet(seeded.clock.now());
  server = serverFor(seeded, { fleet: fleet.fleet, eventsPollMs: 200 });
  url = await server.listen();
  browser = await launchChromium();
  desktop = await browser.newContext({ viewport: DESKTOP, deviceScaleFactor: 1 });
  page = await desktop.newPage();
  page.setDefaultTimeout(15_000);
  problems = await watchPage(page);
  await page.goto(`${url}/`);
  await signIn(page, server.token);
});
afterAll(async () => {
  await desktop?.close();
  await browser?.close();
  await server?.close();
  await fleet?.fleet.close();
  seeded?.cleanup();
});

const rowTexts = (selector: string) => page.locator(selector).allTextContents();

describeBrowser('the fleet page', () => {
  it('shows the Fleet link and lists the hosts, the silent one first and marked, with the fleet escalations', async () => {
    const link = page.locator('#nav-fleet');
    expect(await link.isVisible()).toBe(true);
    await link.click();
    await page.locator('.page-fleet').waitFor();
    expect(await link.getAttribute('aria-current')).toBe('page');
    expect(await page.locator('.page-sub').textContent()).toBe('3 hosts share the fleet store, 1 silent.');

    const hosts = page.locator('#fleet-hosts tbody tr');
    expect(await hosts.evaluateAll((rows) => rows.map((row) => [(row as HTMLElement).dataset.host, (row as HTMLElement).dataset.state]))).toEqual([
      ['h-db1', 'silent'],
      ['h-web2', 'escalated'],
      ['h-web1', 'ok'],
    ]);
    const db1 = hosts.first();
    expect(await db1.locator('.host-silent').textContent()).toMatch(/^silent since .*10 min ago/);
    expect(await db1.locator('.pill').textContent()).toContain('Silent');
    expect(await db1.locator('[data-label="Version"]').textContent()).toBe('0.2.9');
    expect(await page.locator('#fleet-hosts tr[data-host="h-web1"] .host-silent').count()).toBe(0);
    expect(await page.locator('#fleet-hosts tr[data-host="h-web2"] [data-label="Escalated"]').textContent()).toBe('1');

    expect(await page.locator('#fleet-pause').getAttribute('data-paused')).toBe('false');
    expect(await page.locator('#fleet-pause').textContent()).toMatch(/Fleet kill switch: .*Off.*restart_unit:web \(web1\)/s);
    expect(await page.locator('#fleet-pause a.lease-holder').getAttribute('href')).toBe('#/fleet/hosts/h-web1');
    const escalations = await rowTexts('#fleet-escalations tbody tr');
    expect(escalations).toHaveLength(2);
    expect(escalations[0]).toMatch(/db1.*db.*unit_failed.*Acknowledged.*token:alice/s);
    expect(escalations[1]).toMatch(/web2.*web.*unit_failed.*Open/s);
    await screenshot(page, 'browser', 'desktop-fleet');
  });

  it('filters the fleet tasks by host and status through the hash, and opens a task on its timeline', async () => {
    await page.goto(`${url}/#/fleet`);
    await page.locator('#fleet-tasks').waitFor();
    expect(await page.locator('#fleet-tasks tbody tr').count()).toBe(5);
    await page.locator('#fleet-filter-host').selectOption('h-web2');
    await page.waitForURL(/#\/fleet\?host=h-web2$/);
    await expect.poll(() => page.locator('#fleet-tasks tbody tr').count()).toBe(2);
    expect(await page.locator('#fleet-tasks tbody tr').evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.host))).toEqual(['h-web2', 'h-web2']);
    expect(await page.locator('#fleet-task-count').textContent()).toBe('Showing 2 tasks.');

    await page.locator('#fleet-filter-status').selectOption('escalated');
    await page.waitForURL(/#\/fleet\?host=h-web2&status=escalated$/);
    await expect.poll(() => page.locator('#fleet-tasks tbody tr').count()).toBe(1);
    expect(await page.locator('#fleet-filter-host').inputValue()).toBe('h-web2');

    await page.locator('#fleet-tasks tbody tr[data-id="t-web2-1"] a.task-link').click();
    await page.locator('.page-fleet-task').waitFor();
    expect(await page.locator('.fleet-task-host').textContent()).toBe('web2');
    const attempt = page.locator('#timeline [data-attempt="a-web2-1"]');
    expect(await attempt.getAttribute('data-outcome')).toBe('failure');
    expect(await attempt.textContent()).toContain(PLAN);
    expect(await page.locator('#nav-fleet').getAttribute('aria-current')).toBe('page');
    await screenshot(page, 'browser', 'desktop-fleet-task');

    await page.locator('.crumbs a', { hasText: 'web2 tasks' }).click();
    await page.waitForURL(/#\/fleet\?host=h-web2$/);
    await expect.poll(() => page.locator('#fleet-tasks tbody tr').count()).toBe(2);
  });

  it("shows each pattern with every host's record, and the fleet kill switch when it is on", async () => {
    await page.goto(`${url}/#/fleet`);
    const restart = page.locator(`#fleet-patterns tr[data-plan="${PLAN}"]`);
    await restart.waitFor();
    expect(await restart.locator('[data-label="Service"]').textContent()).toBe('web, wwwprofile nginx');
    const records = await restart.locator('.host-records li').allTextContents();
    expect(records.map((text) => text.replace(/ · .*$/, ''))).toEqual(['web1 (web): 4 ✓ 0 ✕', 'web1 (www): 1 ✓ 0 ✕', 'web2 (web): 1 ✓ 2 ✕']);
    expect(await restart.locator('[data-label="Total"]').textContent()).toBe('6 ✓ 2 ✕');
    expect(await page.locator('#fleet-patterns tbody tr').count()).toBe(3);

    await fleet.fleet.setFleetPause({ paused: true, by: 'cli:bob', reason: 'kernel upgrades', at: seeded.clock.now() });
    seeded.clock.advance(FLEET_OVERVIEW_MAX_AGE_MS); // one overview serves a second
    await page.reload();
    const pause = page.locator('#fleet-pause[data-paused="true"]');
    await pause.waitFor();
    expect(await pause.textContent()).toMatch(/On — no host fixes anything by cli:bob since .*: .*kernel upgrades/s);
    await screenshot(page, 'browser', 'desktop-fleet-paused');
    expect(problems.pageErrors).toEqual([]);
    expect(problems.cspViolations).toEqual([]);
    expect(problems.consoleErrors).toEqual([]);
    expect(problems.dialogs).toEqual([]);
  });

  it('opens each host on its own page: its facts, services, escalations, tasks and patterns, and no other host', async () => {
    await page.goto(`${url}/#/fleet`);
    await page.locator('#fleet-hosts tr[data-host="h-web2"] a.host-name').click();
    await page.waitForURL(/#\/fleet\/hosts\/h-web2$/);
    await page.locator('.page-fleet-host[data-host="h-web2"]').waitFor();
    expect(await page.locator('.fleet-host-name').textContent()).toBe('web2');
    expect(await page.locator('.page-head .pill').textContent()).toContain('Needs you');
    expect(await page.locator('#fleet-host-silent').count()).toBe(0);
    expect(await page.locator('#nav-fleet').getAttribute('aria-current')).toBe('page');
    const fact = (card: string, key: string) => page.locator(`#${card} dd[data-fact="${key}"]`).textContent();
    expect(await fact('fleet-host-facts', 'id')).toBe('h-web2');
    expect(await fact('fleet-host-facts', 'version')).toBe('0.3.0');
    expect(await fact('fleet-host-facts', 'started')).toMatch(/1 h(our)? ago|60 min ago/);
    expect(await fact('fleet-host-facts', 'last-seen')).toMatch(/s(ec)? ago|just now/);
    expect(await fact('fleet-host-summary', 'services')).toBe('2');
    expect(await fact('fleet-host-summary', 'failing')).toBe('1');
    expect(await fact('fleet-host-summary', 'escalated')).toBe('1');
    expect(await fact('fleet-host-summary', 'paused')).toBe('Not paused');

    const services = page.locator('#fleet-host-services tbody tr');
    expect(await services.evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.service))).toEqual(['cache', 'web']);
    expect(await services.first().locator('[data-status="open"]').textContent()).toBe('1');
    expect(await services.last().locator('[data-status="escalated"]').textContent()).toBe('1');
    expect(await services.last().locator('[data-label="Total"]').textContent()).toBe('1');
    expect(await page.locator('#fleet-host-escalations tbody tr').evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.escalation))).toEqual(['e-web2-1']);
    expect(await page.locator('#fleet-host-escalations tbody tr').textContent()).toMatch(/web.*unit_failed.*Open/s);
    const tasks = page.locator('#fleet-host-tasks tbody tr');
    expect((await tasks.evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.id))).sort()).toEqual(['t-web2-1', 't-web2-2']);
    expect(await page.locator('#fleet-host-task-count').textContent()).toBe('Showing 2 tasks.');
    const patterns = page.locator('#fleet-host-patterns tbody tr');
    expect(await patterns.evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.plan))).toEqual([PLAN, 'reload_unit(unit=web.service)']);
    const restart = page.locator(`#fleet-host-patterns tr[data-plan="${PLAN}"]`);
    expect((await restart.locator('.host-records li').allTextContents()).map((text) => text.replace(/ · .*$/, ''))).toEqual(['web: 1 ✓ 2 ✕']);
    expect(await restart.locator('[data-label="Whole fleet"]').textContent()).toBe('6 ✓ 2 ✕with 1 other host');
    await screenshot(page, 'browser', 'desktop-fleet-host');

    // A task opens on its timeline, whose Host links back here; the back link leads to the Fleet page.
    await tasks.locator('a.task-link').filter({ hasText: 'unit_failed' }).first().click();
    await page.locator('.page-fleet-task[data-host="h-web2"]').waitFor();
    await page.locator('.page-fleet-task .facts a[href="#/fleet/hosts/h-web2"]').click();
    await page.waitForURL(/#\/fleet\/hosts\/h-web2$/);
    await page.locator('.page-fleet-host .back-link').click();
    await page.waitForURL(/#\/fleet$/);
    await page.locator('#fleet-hosts').waitFor();

    // web1: nothing escalated; its two services' records of the plan it shares with web2.
    await page.goto(`${url}/#/fleet/hosts/h-web1`);
    await page.locator('.page-fleet-host[data-host="h-web1"]').waitFor();
    expect(await page.locator('.page-head .pill').textContent()).toContain('OK');
    expect(await page.locator('#fleet-host-escalations-card').textContent()).toContain('No open escalation on this host.');
    expect((await page.locator('#fleet-host-tasks tbody tr').evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.host))).sort()).toEqual(['h-web1', 'h-web1']);
    expect(await page.locator('#fleet-host-patterns tbody tr').count()).toBe(1);
    expect((await page.locator(`#fleet-host-patterns tr[data-plan="${PLAN}"] .host-records li`).allTextContents()).map((text) => text.replace(/ · .*$/, ''))).toEqual([
      'web: 4 ✓ 0 ✕',
      'www: 1 ✓ 0 ✕',
    ]);

    // db1 is silent: said so first.
    await page.goto(`${url}/#/fleet/hosts/h-db1`);
    await page.locator('.page-fleet-host[data-host="h-db1"]').waitFor();
    expect(await page.locator('#fleet-host-silent').textContent()).toMatch(/^Silent since .*10 min ago/);
    expect(await page.locator('.page-head .pill').textContent()).toContain('Silent');
    expect(await fact('fleet-host-facts', 'version')).toBe('0.2.9');
    expect(await page.locator('#fleet-host-services tbody tr').evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.service))).toEqual(['db']);
    expect(await page.locator('#fleet-host-escalations tbody tr').textContent()).toMatch(/db.*unit_failed.*Acknowledged.*token:alice/s);
    expect(await page.locator('#fleet-host-tasks tbody tr').evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.id))).toEqual(['t-db1-1']);
    expect((await page.locator('#fleet-host-patterns .host-records li').allTextContents()).map((text) => text.replace(/ · .*$/, ''))).toEqual(['db: 2 ✓ 0 ✕']);

    // An id the fleet store does not know is said so, not thrown.
    await page.goto(`${url}/#/fleet/hosts/h-nope`);
    await page.locator('#fleet-host-unknown').waitFor();
    expect(await page.locator('#fleet-host-unknown').textContent()).toContain('No such host in the fleet store: h-nope.');
    expect(await page.locator('.error-box').count()).toBe(0);
    expect(problems.pageErrors).toEqual([]);
    expect(problems.cspViolations).toEqual([]);
    expect(problems.consoleErrors).toEqual([]);
    expect(problems.dialogs).toEqual([]);
  });

  it('adds a fleet-wide silence from the Silences page, lists it apart, and expires it', async () => {
    await page.goto(`${url}/#/silences`);
    await page.locator('#silence-fleet').waitFor();
    await page.locator('#silence-service').selectOption('web');
    await page.locator('#silence-duration').fill('1h');
    await page.locator('#silence-comment').fill('rolling kernel upgrade');
    await page.locator('#silence-fleet').check();
    await page.locator('#silence-add').click();
    const row = page.locator('#fleet-silences-card tr[data-state="active"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('rolling kernel upgrade');
    const [stored] = await fleet.fleet.fleetSilences(seeded.clock.now());
    expect(stored).toMatchObject({ comment: 'rolling kernel upgrade', author: 'token:admin' });
    expect(seeded.stores.silences.all()).toEqual([]); // not this host's own
    await row.locator(`[data-expire="${stored!.id}"]`).click();
    await page.locator('#fleet-silences-card tr[data-state="active"]').waitFor({ state: 'detached' });
    expect(await fleet.fleet.fleetSilences(seeded.clock.now())).toEqual([]);
    expect(problems.pageErrors).toEqual([]);
    expect(problems.cspViolations).toEqual([]);
  });

  it('fits a phone: no sideways scrolling, every page link on screen', async () => {
    const phone = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
    try {
      await phone.addCookies(await desktop.cookies());
      const small = await phone.newPage();
      small.setDefaultTimeout(15_000);
      const seen = await watchPage(small);
      for (const [name, hash, selector] of [
        ['fleet', '/fleet', '.page-fleet #fleet-hosts'],
        ['fleet-task', '/fleet/tasks/h-web2/t-web2-1', '.page-fleet-task'],
        ['fleet-host', '/fleet/hosts/h-web2', '.page-fleet-host[data-host="h-web2"]'],
        ['fleet-host-silent', '/fleet/hosts/h-db1', '.page-fleet-host[data-host="h-db1"]'],
      ] as const) {
        await small.goto(`${url}/#${hash}`);
        await small.locator(selector).waitFor();
        expect({ name, overflow: await horizontalOverflow(small) }).toEqual({ name, overflow: 0 });
        for (const link of await small.locator('#nav a:visible').all()) {
          const box = (await link.boundingBox())!;
          expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
        }
        expect(await small.locator('#nav-fleet').isVisible()).toBe(true);
        await screenshot(small, 'browser', `phone-${name}`);
      }
      expect(seen.pageErrors).toEqual([]);
      expect(seen.cspViolations).toEqual([]);
      expect(seen.consoleErrors).toEqual([]);
    } finally {
      await phone.close();
    }
  });
});
