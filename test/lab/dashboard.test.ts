/**
 * The dashboard end to end in a real systemd: the daemon runs in the lab with its dashboard on 127.0.0.1:8888 (in
 * the lab's own network namespace), and Debian's Chromium, started inside that namespace through a small wrapper
 * (nsenter -n: the browser keeps the host's files), signs in with the token the daemon generated, watches a
 * killed unit appear live and get fixed, follows an escalation (a unit whose stale lock file makes every start
 * fail) through acknowledge and a resolve that is learned, and pauses and resumes the daemon. Screenshots go to
 * test-output/screenshots/lab/.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { SystemdLab } from './systemd-lab.js';
import { describeLab } from './describe-lab.js';
import { appUnit, LabDaemon, HOST_CHECKS_OFF } from './lab-daemon.js';
import { CHROMIUM, CHROMIUM_AVAILABLE, describeBrowser, DESKTOP, launchChromium, screenshot, signIn, watchPage, type PageProblems } from '../web/browser.js';

const DASHBOARD = 'http://127.0.0.1:8888';
const SHOTS = 'lab';
const LOCK = '/run/lab-locked.flag';

(CHROMIUM_AVAILABLE ? describeLab : describeBrowser)('the dashboard in a real browser, against the daemon in a systemd lab', () => {
  let lab: SystemdLab;
  let daemon: LabDaemon;
  let browser: Browser;
  let page: Page;
  let problems: PageProblems;
  let wrapperDir: string;

  beforeAll(async () => {
    lab = await SystemdLab.boot({ name: 'dashboard' });
    daemon = new LabDaemon(lab, 'dashboard');
    await lab.writeUnit('lab-crashy.service', appUnit('killed by a test', { PORT: '18501' }));
    await lab.writeUnit('lab-locked.service', appUnit('second lab app', { PORT: '18502', LOCKFILE: LOCK }));
    await lab.systemctl('start', 'lab-crashy.service', 'lab-locked.service');
    daemon.writeConfig(`
cycle: { interval: 2s, watchInterval: 1s, watchFailedUnits: false }
verification: { settle: 1s }
phases: { quickFix: { backoff: 500ms } }
safety: { budget: { actions: 3, window: 15m } }
${HOST_CHECKS_OFF}
escalation: { autoResolveCycles: 100 }
web: { listen: 127.0.0.1, port: 8888 }
services:
  - { name: crashy, unit: lab-crashy.service }
  - { name: locked, unit: lab-locked.service }
`);
    await daemon.startAndWait();
    const tokenFile = path.join(daemon.dataDir, 'web-token');
    await lab.waitFor(async () => existsSync(tokenFile) && /dashboard listening/.test(daemon.log()), {
      what: `dashboard listening (daemon log: ${daemon.logPath})`,
      timeoutMs: 30_000,
    });

    // Chromium in the lab's network namespace only: it reaches the lab's 127.0.0.1:8888 and keeps the host's
    // files (profile directory, fonts); playwright's pipe descriptors survive the exec.
    wrapperDir = mkdtempSync(path.join(tmpdir(), 'lab-chromium-'));
    const wrapper = path.join(wrapperDir, 'chromium-in-lab');
    writeFileSync(wrapper, `#!/bin/sh\nexec /usr/bin/nsenter -t ${lab.pid} -n ${CHROMIUM} "$@"\n`);
    chmodSync(wrapper, 0o755);
    browser = await launchChromium(wrapper);
    const context = await browser.newContext({ viewport: DESKTOP });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    problems = await watchPage(page);
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    if (wrapperDir) rmSync(wrapperDir, { recursive: true, force: true });
    await daemon?.kill('SIGTERM').catch(() => undefined);
    await lab?.stop();
  });

  const token = () => readFileSync(path.join(daemon.dataDir, 'web-token'), 'utf8').trim();
  const pauseState = () => daemon.query<{ value: string }>('tasks', `SELECT value FROM state WHERE key = 'pause'`)[0]?.value;

  it('signs in with the token the daemon generated and shows both services healthy', async () => {
    await page.goto(DASHBOARD);
    await page.locator('#login-token').waitFor();
    await signIn(page, token());
    await page.locator('#live[data-state="on"]').waitFor();
    expect(await page.locator('#services [data-service="crashy"]').getAttribute('data-state')).toBe('healthy');
    expect(await page.locator('#services [data-service="locked"]').getAttribute('data-state')).toBe('healthy');
    expect(await page.locator('.hero').getAttribute('data-health')).toBe('ok');
    await screenshot(page, SHOTS, 'overview-healthy');
  });

  it('shows a killed unit live, and its timeline once phase 1 has restarted it', async () => {
    await page.goto(`${DASHBOARD}/#/tasks`);
    await page.locator('.page-tasks').waitFor();
    expect(await page.locator('#tasks tr[data-service="crashy"]').count()).toBe(0);
    await lab.exec(['kill', '-9', String(await lab.mainPid('lab-crashy.service'))]);

    const row = page.locator('#tasks tr[data-service="crashy"]').first();
    await row.waitFor({ timeout: 30_000 });
    const taskId = (await row.getAttribute('data-id'))!;
    await row.locator('a.task-link').click();
    await page.locator('#timeline').waitFor();
    // The task page follows the daemon live until the fix is verified.
    await page.locator('.task-title-row .pill', { hasText: 'Fixed' }).waitFor({ timeout: 60_000 });
    await page.locator('#timeline .tl-attempt[data-outcome="success"] .verification-ok').waitFor();
    expect(await page.locator('#timeline').textContent()).toMatch(/Fixed by phase 1/);
    expect(await page.locator('#timeline .tl-attempt code.plan').first().textContent()).toMatch(/restart_unit|start_unit/);
    expect(daemon.tasks('crashy').find((task) => task.id === taskId)).toMatchObject({ status: 'fixed', fixed_by_phase: 1 });
    expect(await page.locator('#evidence').textContent()).toMatch(/lab-crashy\.service/);
    // What changed since it was last known good: asked first, shown beside the evidence (here: nothing but the time).
    expect(await page.locator('#task-drift').textContent()).toMatch(/last known good at \d{4}-\d\d-\d\dT/);
    await screenshot(page, SHOTS, 'task-fixed-timeline');
  });

  it('shows an escalation live; acknowledging and resolving it in the browser is recorded and learned', async () => {
    await page.goto(`${DASHBOARD}/#/`);
    await page.locator('.page-overview').waitFor();
    // A crash leaves the lock file behind: every start fails until a person removes it.
    await lab.exec(['kill', '-9', String(await lab.mainPid('lab-locked.service'))]);
    await page.locator('#services [data-service="locked"][data-state="escalated"]').waitFor({ timeout: 180_000 });
    expect(await page.locator('.hero').getAttribute('data-health')).toBe('bad');
    expect(await page.locator('#nav-escalations').textContent()).toBe('1');
    await screenshot(page, SHOTS, 'overview-escalated');

    await page.locator('#open-escalations').click();
    const card = page.locator('article.esc[data-status="open"]').first();
    await card.waitFor();
    const escalationId = (await card.getAttribute('data-id'))!;
    await card.locator('details.evidence summary').click();
    expect(await card.locator('.log').textContent()).toMatch(/lab-locked\.service: Main process exited, code=killed/);
    // What was tried, and why it did not work, is on the card.
    expect(await card.locator('.tried').textContent()).toMatch(
      /restart_unit\(unit=lab-locked\.service\).*verification failed: lab-locked\.service failed \(result exit-code, status 1\)/s,
    );
    await screenshot(page, SHOTS, 'escalation-open');
    await card.locator('[data-action="ack"]').click();
    await page.locator(`#escalation-${escalationId}[data-status="acknowledged"]`).waitFor();
    expect(daemon.query<{ status: string }>('escalations', 'SELECT status FROM escalations WHERE id = ?', escalationId)[0]!.status).toBe('acknowledged');

    // The person removes the stale lock file and starts the unit, then says so.
    await lab.exec(['rm', '-f', LOCK]);
    await lab.systemctl('reset-failed', 'lab-locked.service');
    await lab.systemctl('start', 'lab-locked.service');
    const acknowledged = page.locator(`#escalation-${escalationId}`);
    await acknowledged.locator('input[name="fix"]').fill('start_unit');
    await acknowledged.locator('textarea[name="note"]').fill(`removed the stale ${LOCK}`);
    await acknowledged.getByRole('button', { name: 'Mark resolved' }).click();
    await page.locator(`#escalation-${escalationId}[data-status="resolved"]`).waitFor();
    const stored = daemon.query<{ status: string; note: string; fixes: string }>('escalations', 'SELECT status, note, fixes FROM escalations WHERE id = ?', escalationId)[0]!;
    expect(stored).toMatchObject({ status: 'resolved', note: `removed the stale ${LOCK}` });
    expect(JSON.parse(stored.fixes)).toEqual([{ type: 'start_unit', params: { unit: 'lab-locked.service' } }]);
    const learned = daemon.query<{ plan_key: string; successes: number }>(
      'tasks',
      `SELECT plan_key, successes FROM patterns WHERE service = 'locked' AND plan_key = 'start_unit(unit=lab-locked.service)'`,
    );
    expect(learned).toEqual([{ plan_key: 'start_unit(unit=lab-locked.service)', successes: 1 }]);
    await screenshot(page, SHOTS, 'escalation-resolved');
    await page.goto(`${DASHBOARD}/#/patterns`);
    await page.locator('#patterns td.cell-plan code', { hasText: /^start_unit\(unit=lab-locked\.service\)$/ }).waitFor();
    await screenshot(page, SHOTS, 'patterns');
  });

  it('retries an escalation from the browser once a person has repaired the cause: the daemon starts it, verifies it and resolves', async () => {
    await page.goto(`${DASHBOARD}/#/`);
    await page.locator('.page-overview').waitFor();
    await lab.exec(['kill', '-9', String(await lab.mainPid('lab-locked.service'))]);
    await page.locator('#services [data-service="locked"][data-state="escalated"]').waitFor({ timeout: 180_000 });
    await page.goto(`${DASHBOARD}/#/escalations`);
    const card = page.locator('article.esc[data-status="open"]').first();
    await card.waitFor();
    const escalationId = (await card.getAttribute('data-id'))!;
    // The person removes the stale lock, and asks the daemon to finish the job instead of starting it by hand.
    await lab.exec(['rm', '-f', LOCK]);
    await card.locator('[data-action="retry"]').click();
    await page.locator(`#escalation-${escalationId}[data-status="auto_resolved"]`).waitFor({ timeout: 60_000 });
    const stored = daemon.query<{ resolution: string }>('escalations', 'SELECT resolution FROM escalations WHERE id = ?', escalationId)[0]!;
    expect(stored.resolution).toMatch(/^auto-resolved: the orchestrator finished the job: a human asked for a retry; .* verified$/);
    expect((await lab.httpGet('http://127.0.0.1:18502/')).status).toBe(200);
    await screenshot(page, SHOTS, 'escalation-retried');
  });

  it('pauses the daemon from the browser (a fault is detected, not fixed) and resumes it (then it is fixed)', async () => {
    await page.goto(`${DASHBOARD}/#/`);
    await page.locator('#kill-state[data-paused="false"]').waitFor();
    await page.locator('#pause-reason').fill('maintenance');
    await page.locator('#pause').click();
    await page.locator('#kill-state[data-paused="true"]').waitFor();
    expect(JSON.parse(pauseState()!)).toMatchObject({ paused: true, reason: 'maintenance' });

    const earlier = new Set(daemon.tasks('crashy').map((task) => task.id));
    await lab.exec(['kill', '-9', String(await lab.mainPid('lab-crashy.service'))]);
    await page.locator('#services [data-service="crashy"][data-state="failing"]').waitFor({ timeout: 30_000 });
    const held = await daemon.waitForTask('crashy', (task) => !earlier.has(task.id), 'a new crashy task', 30_000);
    // Several full cycles later it is still open, and the unit still down: nothing acted.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect(daemon.tasks('crashy').find((task) => task.id === held.id)!.status).toBe('open');
    expect((await lab.unitState('lab-crashy.service')).activeState).not.toBe('active');
    expect(await page.locator('#banner').textContent()).toMatch(/Automatic fixing is paused/);
    expect(await page.locator('.hero-headline').textContent()).toBe('1 service failing — automatic fixing is paused');
    expect(await page.locator('#services [data-service="crashy"] .pill').textContent()).toMatch(/Paused — not fixed/);
    await screenshot(page, SHOTS, 'overview-paused');

    await page.locator('#resume').click();
    await page.locator('#kill-state[data-paused="false"]').waitFor();
    expect(JSON.parse(pauseState()!)).toMatchObject({ paused: false });
    await page.locator('#services [data-service="crashy"][data-state="healthy"]').waitFor({ timeout: 60_000 });
    expect(daemon.tasks('crashy').find((task) => task.id === held.id)!.status).toBe('fixed');
    await screenshot(page, SHOTS, 'overview-resumed');
    expect(problems.pageErrors).toEqual([]);
    expect(problems.cspViolations).toEqual([]);
    expect(problems.consoleErrors).toEqual([]);
  });
});
