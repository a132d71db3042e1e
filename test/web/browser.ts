/**
 * Driving Debian's Chromium with playwright-core for the dashboard tests: launching it (or failing loudly when it
 * is missing: never a silent skip), collecting what a page complains about (console errors, uncaught exceptions,
 * CSP violations, dialogs) and saving screenshots under test-output/screenshots/.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { TEST_OUTPUT_DIR } from '../lab/systemd-lab.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const SCREENSHOT_DIR = path.join(TEST_OUTPUT_DIR, 'screenshots');
export const DESKTOP = { width: 1366, height: 900 };
export const PHONE = { width: 390, height: 844 };

/** Whether Debian's Chromium is installed (`npm test` installs it when it runs as root with apt-get). */
export const CHROMIUM_AVAILABLE = (() => {
  try {
    accessSync(CHROMIUM, constants.X_OK);
    return true;
  } catch {
    return false;
  }
})();

let skipWarned = false;

/** `describe` when Chromium is there; otherwise a skip that says why, once (never silent). */
export function describeBrowser(name: string, fn: () => void): void {
  if (CHROMIUM_AVAILABLE) return void describe(name, fn);
  if (!skipWarned) {
    skipWarned = true;
    console.warn(`browser tests skipped: ${CHROMIUM} is missing (as root, npm test installs it; or apt-get install chromium)`);
  }
  describe.skip(name, fn);
}

/** Launches Chromium (`executablePath` may be a wrapper script that execs it); throws, and says so, when it is absent. */
export async function launchChromium(executablePath = CHROMIUM): Promise<Browser> {
  try {
    accessSync(CHROMIUM, constants.X_OK);
  } catch {
    const message = `BROWSER TESTS CANNOT RUN: ${CHROMIUM} is missing (apt-get install chromium). They fail rather than skip.`;
    console.error(`\n${'!'.repeat(message.length)}\n${message}\n${'!'.repeat(message.length)}\n`);
    throw new Error(message);
  }
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** What went wrong on a page while a test drove it. */
export interface PageProblems {
  consoleErrors: string[];
  pageErrors: string[];
  cspViolations: string[];
  dialogs: string[];
}

/** Starts recording a page's problems (console errors, exceptions, CSP violations, alert/confirm dialogs). */
export async function watchPage(page: Page): Promise<PageProblems> {
  const problems: PageProblems = { consoleErrors: [], pageErrors: [], cspViolations: [], dialogs: [] };
  page.on('console', (message) => {
    if (message.type() === 'error') problems.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => problems.pageErrors.push(error.message));
  page.on('dialog', (dialog) => {
    problems.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await page.exposeFunction('__reportCspViolation', (text: string) => problems.cspViolations.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      (window as unknown as { __reportCspViolation(text: string): void }).__reportCspViolation(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  return problems;
}

/** Saves a screenshot (the full page unless told) as test-output/screenshots/<folder>/<name>.png; returns its path. */
export async function screenshot(page: Page, folder: string, name: string, options: { fullPage?: boolean } = {}): Promise<string> {
  const directory = path.join(SCREENSHOT_DIR, folder);
  mkdirSync(directory, { recursive: true });
  const file = path.join(directory, `${name}.png`);
  // Let charts and fonts settle for a frame before taking the picture.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  await page.screenshot({ path: file, fullPage: options.fullPage ?? true });
  return file;
}

/** How far the page is wider than the viewport (0 when nothing scrolls sideways). */
export async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** Signs in through the login form. */
export async function signIn(page: Page, token: string): Promise<void> {
  await page.locator('#login-token').fill(token);
  await page.locator('#login-submit').click();
  await page.locator('.page-overview').waitFor();
}
