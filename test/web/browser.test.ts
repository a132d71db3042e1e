/**
 * The dashboard in a real headless Chromium (Debian's, driven by playwright-core) against an in-process server over
 * a seeded data directory: login, every page, the kill switch, acknowledging and resolving escalations, filters,
 * a task's timeline, live updates, escaping of host text under the CSP, and a phone-sized screen. Screenshots of
 * each page go to test-output/screenshots/browser/. Without Chromium these tests fail, loudly: they never skip.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { seed, serverFor, writeTask, XSS, type Seeded } from './seed.js';
import { seedHistory, type HistorySummary } from './history.js';
import { CHROMIUM_AVAILABLE, describeBrowser, DESKTOP, PHONE, horizontalOverflow, launchChromium, screenshot, signIn, watchPage, type PageProblems } from './browser.js';
import type { WebServer } from '../../src/web/server.js';
import type { Overview } from '../../src/web/dashboard-data.js';
import type { Task } from '../../src/core/types.js';
import { EscalationService } from '../../src/escalation/escalation-service.js';
import { silentLogger } from '../../src/core/logger.js';
import { escalatedTaskIds } from '../../src/store/task-outcomes.js';

const SHOTS = 'browser';
const DAY_MS = 86_400_000;

let seeded: Seeded;
let server: WebServer;
let url: string;
let browser: Browser;
let history: HistorySummary;
let sessionCookie: string;
let context: BrowserContext;
const pages: Page[] = [];

beforeAll(async () => {
  seeded = seed({ port: 0 });
  history = seedHistory(seeded.stores, {
    tasks: 90,
    now: seeded.clock.now() - 3_600_000,
    days: 13,
    services: ['nginx', 'postgresql', 'redis', 'api', 'worker'],
    seed: 7,
    cycles: 3,
    cyclesUntil: seeded.clock.now() - 60_000,
  });
  server = serverFor(seeded, { eventsPollMs: 200 });
  url = await server.listen();
  if (!CHROMIUM_AVAILABLE) return;
  browser = await launchChromium();
  // One session for every test but the login test: logins are rate limited (5 a minute).
  const login = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: server.token }) });
  expect(login.status).toBe(200);
  sessionCookie = /ao_session=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1]!;
  context = await signedInContext(DESKTOP);
});

afterEach(async () => {
  for (const page of pages.splice(0)) await page.close();
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.close();
  seeded?.cleanup();
});

async function signedInContext(viewport: { width: number; height: number }): Promise<BrowserContext> {
  const created = await browser.newContext({ viewport, deviceScaleFactor: 1, isMobile: viewport.width < 600, hasTouch: viewport.width < 600 });
  await created.addCookies([{ name: 'ao_session', value: sessionCookie, url, httpOnly: true, sameSite: 'Strict' }]);
  return created;
}

/** A new page in `on` (the signed-in desktop context by default), watched for problems, at `hash`. */
async function open(hash: string, on: BrowserContext = context): Promise<{ page: Page; problems: PageProblems }> {
  const page = await on.newPage();
  page.setDefaultTimeout(15_000);
  pages.push(page);
  const problems = await watchPage(page);
  await page.goto(`${url}/#${hash}`);
  await page.locator('#main .page').first().waitFor();
  return { page, problems };
}

function expectNoProblems(problems: PageProblems): void {
  expect(problems).toEqual({ consoleErrors: [], pageErrors: [], cspViolations: [], dialogs: [] });
}

const apiOverview = (page: Page) => page.evaluate(async () => (await fetch('/api/overview')).json()) as Promise<Overview>;

describeBrowser('the dashboard in Chromium', () => {
  it('refuses a wrong token with a message, and signs in with the right one (HttpOnly, SameSite=Strict cookie)', async () => {
    const fresh = await browser.newContext({ viewport: DESKTOP });
    try {
      const page = await fresh.newPage();
      const problems = await watchPage(page);
      await page.goto(url);
      await page.locator('#login-token').waitFor();
      expect(await page.locator('#nav').isHidden()).toBe(true);
      // Checking the session on load is not an error in the console.
      expect(problems.consoleErrors).toEqual([]);
      await screenshot(page, SHOTS, 'desktop-login');
      await page.locator('#login-token').fill('not-the-token');
      await page.locator('#login-submit').click();
      await expect.poll(() => page.locator('#login-error').textContent()).toMatch(/not right/);
      expect(await page.locator('#login-error').isVisible()).toBe(true);
      await screenshot(page, SHOTS, 'desktop-login-wrong-token');
      expect(await fresh.cookies()).toEqual([]);

      await signIn(page, server.token);
      expect(await page.locator('#login').isHidden()).toBe(true);
      const cookie = (await fresh.cookies()).find((each) => each.name === 'ao_session');
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
      // HttpOnly: the page's scripts cannot read it.
      expect(await page.evaluate(() => document.cookie)).not.toContain('ao_session');
      expect(await page.inputValue('#login-token')).toBe('');
      await page.locator('#logout').click();
      await page.locator('#login-token').waitFor();
      expect((await fresh.cookies()).find((each) => each.name === 'ao_session')).toBeUndefined();
      // The wrong token's 401 is the only error the browser logged.
      expect(problems.consoleErrors.every((text) => /401/.test(text))).toBe(true);
      expect(problems.pageErrors).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('overview: services, the last cycle, charts, the funnel, and the counts the API gives', async () => {
    const { page, problems } = await open('/');
    const overview = await apiOverview(page);
    await expect.poll(() => page.locator('.chart canvas').count()).toBe(2);
    const state = (service: string) => page.locator(`#services [data-service="${service}"]`).getAttribute('data-state');
    expect(await state('db')).toBe('escalated');
    expect(await state('queue')).toBe('escalated');
    expect(await state('cache')).toBe('failing');
    expect(await state('idle')).toBe('healthy');
    expect(await page.locator('#services > li').count()).toBe(overview.services.length);
    expect(await page.locator('.hero').getAttribute('data-health')).toBe('bad');
    expect(await page.locator('#open-escalations .big-number').textContent()).toBe(String(overview.counts.openEscalations));
    expect(await page.locator('#nav-escalations').textContent()).toBe(String(overview.counts.openEscalations));
    // No fleet store here: no Fleet link (test/web/fleet-browser.test.ts has one).
    expect(await page.locator('#nav-fleet').isHidden()).toBe(true);

    const cycle = page.locator('section[aria-label="Last full check"]');
    expect(overview.lastCycle).not.toBeNull();
    expect(await cycle.locator('dd').nth(2).textContent()).toBe(String(overview.lastCycle!.checksRun));

    const funnel = await page.locator('#funnel .funnel-row strong').allTextContents();
    const { phase1, phase2, phase3, escalated, recovered, pending, ignored } = overview.funnel;
    expect(funnel).toEqual([phase1, phase2, phase3, escalated, recovered, pending, ignored].map(String));
    expect(phase1 + phase2 + phase3).toBeGreaterThan(0);
    expect(await page.locator('.chart-summary').first().textContent()).toMatch(/auto-fixed/);
    expect(await page.locator('.chart .u-legend').count()).toBe(2);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    expect(await page.title()).toMatch(/Needs you · Overview/);
    await screenshot(page, SHOTS, 'desktop-overview');
    expectNoProblems(problems);
  });

  it('kill switch: pause with a reason, then resume; the state is persisted in the store', async () => {
    const { page, problems } = await open('/');
    expect(await page.locator('#kill-state').getAttribute('data-paused')).toBe('false');
    await page.locator('#pause-reason').fill('maintenance window');
    await page.locator('#pause').click();
    await page.locator('#kill-state[data-paused="true"]').waitFor();
    expect(seeded.stores.state.pause()).toMatchObject({ paused: true, reason: 'maintenance window' });
    expect(await page.locator('#banner').textContent()).toMatch(/Automatic fixing is paused.*maintenance window/s);
    expect(await page.locator('.kill-reason').textContent()).toContain('maintenance window');
    // A failing service is not "being fixed" while paused.
    expect(await page.locator('#services [data-service="cache"] .pill').textContent()).toMatch(/Paused — not fixed/);
    await screenshot(page, SHOTS, 'desktop-overview-paused');

    // Another tab (or a reload) sees the same persisted state.
    const { page: other } = await open('/');
    expect(await other.locator('#kill-state').getAttribute('data-paused')).toBe('true');

    await page.locator('#resume').click();
    await page.locator('#kill-state[data-paused="false"]').waitFor();
    expect(seeded.stores.state.pause().paused).toBe(false);
    expect(await page.locator('#banner').isHidden()).toBe(true);
    expect(await page.locator('#services [data-service="cache"] .pill').textContent()).toMatch(/Being fixed/);
    // The other tab follows by the live events, without a reload.
    await other.locator('#kill-state[data-paused="false"]').waitFor();
    expectNoProblems(problems);
  });

  it('escalations: open first; acknowledge one, resolve another naming a catalog action (learned) with a note', async () => {
    const { page, problems } = await open('/escalations');
    const db = page.locator(`#escalation-${seeded.dbEscalation.id}`);
    const queue = page.locator(`#escalation-${seeded.queueEscalation.id}`);
    const statuses = await page.locator('article.esc').evaluateAll((nodes) => nodes.map((node) => (node as HTMLElement).dataset.status));
    const firstClosed = statuses.findIndex((status) => status !== 'open' && status !== 'acknowledged');
    expect(statuses.slice(0, firstClosed === -1 ? undefined : firstClosed).every((status) => status === 'open')).toBe(true);
    expect(await db.getAttribute('data-status')).toBe('open');
    await screenshot(page, SHOTS, 'desktop-escalations');

    await db.locator('[data-action="ack"]').click();
    await page.locator(`#escalation-${seeded.dbEscalation.id}[data-status="acknowledged"]`).waitFor();
    expect(seeded.stores.escalations.get(seeded.dbEscalation.id)!.status).toBe('acknowledged');

    const note = 'restarted it by hand <b>after</b> clearing /run/queue.pid';
    await queue.locator('input[name="fix"]').fill('restart_unit');
    await queue.locator('textarea[name="note"]').fill(note);
    await queue.getByRole('button', { name: 'Mark resolved' }).click();
    const resolved = page.locator(`#escalation-${seeded.queueEscalation.id}[data-status="resolved"]`);
    await resolved.waitFor();
    const stored = seeded.stores.escalations.get(seeded.queueEscalation.id)!;
    expect(stored).toMatchObject({ status: 'resolved', note, fixes: [{ type: 'restart_unit', params: { unit: 'queue.service' } }] });
    const learned = seeded.stores.patterns.lookup('queue', seeded.queueEscalation.signature, seeded.clock.now());
    expect(learned).toEqual([expect.objectContaining({ planKey: 'restart_unit(unit=queue.service)', successes: 1, failures: 0 })]);
    expect(await resolved.textContent()).toContain(note);
    expect(await resolved.locator('b').count()).toBe(0);
    // A resolution's task leaves the escalated state.
    expect(seeded.stores.tasks.get(seeded.queueEscalation.taskId)!.status).toBe('recovered');
    await screenshot(page, SHOTS, 'desktop-escalations-after');

    // A bad catalog action is refused with the server's message, next to the form.
    const { page: again } = await open(`/escalations/${seeded.dbEscalation.id}`);
    const card = again.locator(`#escalation-${seeded.dbEscalation.id}`);
    await card.locator('input[name="fix"]').fill('format_disk');
    await card.getByRole('button', { name: 'Mark resolved' }).click();
    await expect.poll(() => card.locator('.form-error').textContent()).toMatch(/format_disk/);
    expect(seeded.stores.escalations.get(seeded.dbEscalation.id)!.status).toBe('acknowledged');
    expect(problems.pageErrors).toEqual([]);
    expect(problems.cspViolations).toEqual([]);
  });

  it('tasks: the list and its filters by service, phase, outcome and time', async () => {
    const { page, problems } = await open('/tasks');
    const ids = () => page.locator('#tasks tbody tr').evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.id));
    const search = (filter: Parameters<typeof seeded.stores.tasks.search>[0]) => seeded.stores.tasks.search(filter, escalatedTaskIds(seeded.stores)).map((task) => task.id);
    expect(await ids()).toEqual(search({ limit: 200 }));
    await screenshot(page, SHOTS, 'desktop-tasks', { fullPage: false });

    await page.locator('#filter-service').selectOption('nginx');
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/tasks?service=nginx');
    await expect.poll(ids).toEqual(search({ service: 'nginx', limit: 200 }));
    await page.locator('#filter-outcome').selectOption('fixed');
    await expect.poll(ids).toEqual(search({ service: 'nginx', outcome: 'fixed', limit: 200 }));
    await page.locator('#filter-phase').selectOption('1');
    await expect.poll(ids).toEqual(search({ service: 'nginx', outcome: 'fixed', phase: 1, limit: 200 }));
    expect((await ids()).length).toBeGreaterThan(0);
    await screenshot(page, SHOTS, 'desktop-tasks-filtered');

    await page.locator('.clear-filters').click();
    await expect.poll(ids).toEqual(search({ limit: 200 }));
    await page.locator('#filter-since').selectOption('24h');
    const now = seeded.clock.now();
    await expect.poll(async () => (await ids()).length).toBeLessThan(search({ limit: 200 }).length);
    const shown = (await ids()).map((id) => seeded.stores.tasks.get(id!)!);
    expect(shown.every((task) => task.detectedAt >= now - DAY_MS - 60_000)).toBe(true);
    expect(shown.map((task) => task.id)).toContain(seeded.openTask.id);
    expect(search({ sinceMs: now - DAY_MS + 60_000, limit: 200 }).every((id) => shown.some((task) => task.id === id))).toBe(true);

    // A filter that matches nothing says so.
    await page.goto(`${url}/#/tasks?service=idle`);
    await expect.poll(() => page.locator('.page-tasks .empty-state').textContent()).toMatch(/No task matches/);
    expectNoProblems(problems);
  });

  it("a task's page: its whole timeline — evidence, each phase, actions, verifications, verdicts and votes", async () => {
    const task = seeded.stores.tasks.search({ outcome: 'fixed', phase: 3, limit: 1 }, escalatedTaskIds(seeded.stores))[0] as Task;
    expect(task).toBeDefined();
    const attempts = seeded.stores.attempts.forTask(task.id);
    const verdicts = seeded.stores.verdicts.forTask(task.id);
    const { page, problems } = await open(`/tasks/${task.id}`);
    await page.locator('#timeline').waitFor();
    expect(await page.locator('#timeline .tl-phase').evaluateAll((nodes) => nodes.map((node) => (node as HTMLElement).dataset.phase))).toEqual(['1', '2', '3']);
    expect(await page.locator('#timeline .tl-attempt').count()).toBe(attempts.length);
    expect(await page.locator('#timeline .tl-verdict').count()).toBe(verdicts.length);
    expect(await page.locator('#timeline .tl-attempt').last().getAttribute('data-outcome')).toBe('success');
    expect(await page.locator('#timeline .verification-ok').count()).toBe(1);
    expect(await page.locator('#timeline .verification-bad').count()).toBe(attempts.length - 1);
    expect(await page.locator('#timeline .tally').textContent()).toMatch(/Votes: .*quorum for/);
    expect(await page.locator('#timeline').textContent()).toMatch(/Fixed by phase 3/);
    expect(await page.locator('#task-logs li').allTextContents()).toEqual(task.evidence.logs);
    expect(await page.locator('.task-title-row .pill').textContent()).toMatch(/Fixed/);
    await screenshot(page, SHOTS, 'desktop-task-timeline');

    // An escalated task links to its escalation.
    const { page: escalated } = await open(`/tasks/${seeded.dbEscalation.taskId}`);
    await escalated.locator('.task-escalation a').click();
    await escalated.locator(`#escalation-${seeded.dbEscalation.id}.is-highlighted`).waitFor();
    // A link to an escalation down the list (as in a notification) scrolls to it, not under the sticky header.
    const closed = seeded.stores.escalations.list({}).filter((each) => each.status === 'resolved' || each.status === 'auto_resolved');
    // The first closed one: below the open ones, with enough page after it to scroll it to the top.
    const first = closed.sort((a, b) => (b.resolvedAt ?? 0) - (a.resolvedAt ?? 0))[0]!;
    await escalated.goto(`${url}/escalations/${first.id}`);
    const highlighted = escalated.locator(`#escalation-${first.id}.is-highlighted`);
    await highlighted.waitFor();
    const header = (await escalated.locator('.topbar').boundingBox())!;
    await expect.poll(async () => (await highlighted.boundingBox())!.y).toBeGreaterThanOrEqual(header.y + header.height);
    expect((await highlighted.boundingBox())!.y).toBeLessThan(DESKTOP.height / 2);
    expectNoProblems(problems);
  });

  it('says so when full checks are overdue (the daemon may be stuck), and stops saying so when one runs', async () => {
    const { page, problems } = await open('/');
    expect(await page.locator('.hero .overdue').count()).toBe(0);
    const cycle = { kind: 'full' as const, durationMs: 200, checksRun: 15, issuesDetected: 0, tasksCreated: 0, alreadyTracked: 0, fixes: 0, escalations: 0 };
    seeded.stores.state.recordCycle({ ...cycle, startedAt: seeded.clock.now() - 3_600_000 });
    await expect.poll(() => page.locator('.hero .overdue').textContent()).toBe('No full check for 1 h');
    expect(await page.locator('section[aria-label="Last full check"]').getAttribute('class')).toContain('card-warn');
    await screenshot(page, SHOTS, 'desktop-overview-checks-overdue');
    seeded.stores.state.recordCycle({ ...cycle, startedAt: seeded.clock.now() - 30_000 });
    await expect.poll(() => page.locator('.hero .overdue').count()).toBe(0);
    expectNoProblems(problems);
  });

  it('learned patterns: signature, action, successes, failures, confidence, last used', async () => {
    const { page, problems } = await open('/patterns');
    const patterns = seeded.stores.patterns.all(seeded.clock.now());
    expect(await page.locator('#patterns tbody tr').count()).toBe(patterns.length);
    const best = patterns.sort((a, b) => b.confidence - a.confidence)[0]!;
    const row = page.locator('#patterns tbody tr', { hasText: best.planKey }).filter({ hasText: best.service }).first();
    const cells = await row.locator('td').allTextContents();
    expect(cells.slice(0, 5)).toEqual([best.service, best.signature, best.planKey, String(best.successes), String(best.failures)]);
    expect(cells[5]).toBe(`${Math.round(best.confidence * 100)}%`);
    // Every percentage on one line ("77" above "%" was a layout bug).
    const heights = await page.locator('#patterns .confidence-value').evaluateAll((nodes) => nodes.map((node) => node.getBoundingClientRect().height));
    expect(new Set(heights).size).toBe(1);
    await screenshot(page, SHOTS, 'desktop-patterns');
    expectNoProblems(problems);
  });

  it('live: a task written through the repositories appears without a reload', async () => {
    const { page, problems } = await open('/tasks');
    await page.locator('#live[data-state="on"]').waitFor();
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    const { page: overview } = await open('/');
    await overview.locator('#live[data-state="on"]').waitFor();
    expect(await overview.locator('#services [data-service="mail"]').count()).toBe(0);

    const task = writeTask(seeded.stores, seeded.clock, 'mail', { message: 'mail.service failed: queue full' });
    await page.locator(`#tasks tr[data-id="${task.id}"]`).waitFor();
    expect(await page.locator('#tasks tbody tr').first().getAttribute('data-id')).toBe(task.id);
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await overview.locator('#services [data-service="mail"][data-state="failing"]').waitFor();
    expectNoProblems(problems);
  });

  it('host text is escaped: a log line with <script> is shown as text, nothing runs, no CSP violation', async () => {
    const hostile = [`${XSS}`, '<img src=x onerror="window.pwned=1">', '"><svg onload=window.pwned=2>', 'plain line'];
    const task = writeTask(seeded.stores, seeded.clock, 'evil<b>svc', {
      id: 'hostile-text',
      message: `failed: ${XSS}`,
      evidence: { logs: hostile, checks: [{ checkId: '<i>unit</i>', type: 'unit', ok: false, message: '<script>window.pwned=3</script>' }] },
    });
    const { page, problems } = await open(`/tasks/${encodeURIComponent(task.id)}`);
    await page.locator('#task-logs').waitFor();
    expect(await page.locator('#task-logs li').allTextContents()).toEqual(hostile);
    expect(await page.locator('.task-message-lead').textContent()).toBe(`failed: ${XSS}`);
    expect(await page.locator('#main script, #main img, #main svg, #main b, #main i').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    await screenshot(page, SHOTS, 'desktop-task-hostile-text');

    // The same text escalated (reason, agents' hypotheses, what was tried) and learned as a pattern.
    const escalations = new EscalationService({
      stores: seeded.stores,
      config: seeded.config,
      clock: seeded.clock,
      newId: () => 'hostile-escalation',
      logger: silentLogger,
      host: 'host1',
      channels: [],
    });
    seeded.stores.attempts.start(
      {
        id: 'hostile-attempt',
        taskId: task.id,
        phase: 1,
        source: 'generic',
        planKey: '<b>restart_unit</b>',
        actions: [{ type: 'restart_unit', params: { unit: '<i>u</i>' } }],
        reason: XSS,
        startedAt: seeded.clock.now(),
        finishedAt: null,
        outcome: null,
        detail: '',
        verification: null,
      },
      task.service,
    );
    seeded.stores.attempts.finish('hostile-attempt', { outcome: 'failure', detail: `failed: ${XSS}`, verification: null, finishedAt: seeded.clock.now(), acted: true });
    seeded.stores.tasks.setStatus(task.id, 'escalated', 1, XSS);
    escalations.escalate({ task: seeded.stores.tasks.get(task.id)!, reason: `agents said ${XSS}`, causeKey: null, hypotheses: ['<img src=x onerror="window.pwned=4">'] });
    seeded.stores.patterns.record({
      service: 'evil<b>svc',
      signature: '<i>sig</i>',
      planKey: '<script>window.pwned=5</script>',
      actions: [],
      success: true,
      at: seeded.clock.now(),
    });

    // On every page, host text is text.
    for (const hash of ['/', '/tasks', '/escalations', '/patterns', `/tasks/${task.id}`]) {
      await page.goto(`${url}/#${hash}`);
      await page.locator('#main .page').first().waitFor();
      await page.waitForLoadState('networkidle').catch(() => undefined);
      expect({ hash, injected: await page.locator('#main script, #main img, #main svg, #main b, #main i').count() }).toEqual({ hash, injected: 0 });
    }
    await page.goto(`${url}/#/escalations/hostile-escalation`);
    const card = page.locator('#escalation-hostile-escalation');
    await card.waitFor();
    expect(await card.locator('.hypotheses li').textContent()).toBe('<img src=x onerror="window.pwned=4">');
    expect(await card.textContent()).toContain(`agents said ${XSS}`);
    expect(await card.locator('.tried').textContent()).toContain(`failed: ${XSS}`);
    await screenshot(page, SHOTS, 'desktop-escalation-hostile-text');
    await page.goto(`${url}/#/patterns`);
    await page.locator('#patterns').waitFor();
    expect(await page.locator('#patterns').textContent()).toContain('<script>window.pwned=5</script>');
    expect(await page.locator('body').textContent()).not.toContain('undefined');
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expectNoProblems(problems);
  });

  it('a phone-sized screen: every page fits without sideways scrolling', async () => {
    const phone = await signedInContext(PHONE);
    try {
      const task = seeded.stores.tasks.search({ outcome: 'fixed', phase: 3, limit: 1 }, escalatedTaskIds(seeded.stores))[0]!;
      for (const [name, hash] of [
        ['overview', '/'],
        ['escalations', '/escalations'],
        ['tasks', '/tasks'],
        ['task-timeline', `/tasks/${task.id}`],
        ['patterns', '/patterns'],
        ['silences', '/silences'],
      ] as const) {
        const { page, problems } = await open(hash, phone);
        if (name === 'overview') await expect.poll(() => page.locator('.chart canvas').count()).toBe(2);
        expect({ name, overflow: await horizontalOverflow(page) }).toEqual({ name, overflow: 0 });
        // The navigation stays usable: every page link is on screen.
        for (const link of await page.locator('#nav a:visible').all()) {
          const box = (await link.boundingBox())!;
          expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
        }
        // The task list is long: its first screen says enough.
        await screenshot(page, SHOTS, `phone-${name}`, { fullPage: name !== 'tasks' });
        expectNoProblems(problems);
        // Each page holds a live-updates connection; Chromium allows six per host.
        await page.close();
      }
      const page = await phone.newPage();
      pages.push(page);
      await page.context().clearCookies();
      await page.goto(url);
      await page.locator('#login-token').waitFor();
      expect(await horizontalOverflow(page)).toBe(0);
      await screenshot(page, SHOTS, 'phone-login');
    } finally {
      for (const page of pages.splice(0)) await page.close();
      await phone.close();
    }
  });
});

// Keep the seeded history honest: the pages above rely on a mix of outcomes.
describe('the seeded history', () => {
  it('has fixed, recovered and escalated tasks with attempts and verdicts', () => {
    expect(history.tasks).toBe(90);
    expect(history.byStatus.fixed).toBeGreaterThan(30);
    expect(history.byStatus.recovered).toBeGreaterThan(0);
    expect(history.attempts).toBeGreaterThan(history.tasks);
    expect(history.verdicts).toBeGreaterThan(0);
    expect(history.escalations).toBeGreaterThan(0);
  });
});
