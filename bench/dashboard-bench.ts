/**
 * The dashboard's two measured figures (issue: over 2,000 requests/s for the overview with 10,000 tasks; the
 * overview page painted in under 500 ms):
 *  (a) GET /api/overview throughput and latency: 10,000 tasks written through the repositories, served by the
 *      compiled server (dist/) in its own process with the daemon's V8 flags, loaded by autocannon with 50
 *      keep-alive connections for 10 s after a warm-up;
 *  (b) the overview's first render in Chromium: navigation start → the frame that paints the first overview
 *      (the app's `overview-rendered` performance mark), with a session already signed in, over the same data.
 * `npm run bench` calls runDashboardBench(); `tsx bench/dashboard-bench.ts` runs it alone and prints the result.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { openStores } from '../src/store/stores.js';
import { seedHistory, HISTORY_SERVICES } from '../test/web/history.js';
import { launchChromium } from '../test/web/browser.js';
import { DAEMON_NODE_FLAGS } from '../test/lab/lab-daemon.js';
import { percentile } from './stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SERVER_SCRIPT = path.join(here, 'dashboard-server.mjs');
const BUILT_SERVER = path.join(here, '..', 'dist', 'web', 'server.js');

export interface DashboardBenchOptions {
  tasks?: number;
  connections?: number;
  durationSeconds?: number;
  renderRuns?: number;
  log?: (line: string) => void;
}

export interface DashboardBenchResult {
  overviewRps: number;
  overviewLatencyP50Ms: number;
  overviewLatencyP95Ms: number;
  tasks: number;
  firstRenderMs: { median: number; p95: number; runs: number };
}

/** Seeds a data directory, starts the built server in a child process, and measures (a) then (b). */
export async function runDashboardBench(options: DashboardBenchOptions = {}): Promise<DashboardBenchResult> {
  const tasks = options.tasks ?? 10_000;
  const log = options.log ?? (() => undefined);
  if (!existsSync(BUILT_SERVER)) throw new Error(`dashboard bench: ${BUILT_SERVER} is missing: run npm run build first`);
  const base = mkdtempSync(path.join(tmpdir(), 'dashboard-bench-'));
  const dataDir = path.join(base, 'data');
  const configFile = path.join(base, 'config.yaml');
  let child: ChildProcess | undefined;
  try {
    const now = Date.now();
    const stores = openStores(dataDir);
    try {
      const seeded = seedHistory(stores, { tasks, now: now - 60_000, days: 30, services: HISTORY_SERVICES, seed: 2026, cycles: 12, cyclesUntil: now - 30_000 });
      log(`  seeded ${seeded.tasks} tasks, ${seeded.attempts} attempts, ${seeded.verdicts} verdicts, ${seeded.escalations} escalations`);
    } finally {
      stores.close();
    }
    writeFileSync(configFile, `services:\n${HISTORY_SERVICES.map((name) => `  - { name: ${name}, unit: ${name}.service }`).join('\n')}\n`);
    const started = await startServer(dataDir, configFile);
    child = started.child;
    const throughput = await loadOverview(started.url, started.token, options.connections ?? 50, options.durationSeconds ?? 10);
    log(`  GET /api/overview: ${Math.round(throughput.rps)} req/s, p50 ${throughput.p50.toFixed(2)} ms, p95 ${throughput.p95.toFixed(2)} ms (${throughput.requests} requests)`);
    const render = await firstRender(started.url, started.token, options.renderRuns ?? 10);
    log(`  overview first render: median ${render.median.toFixed(0)} ms, p95 ${render.p95.toFixed(0)} ms (${render.runs} runs)`);
    return { overviewRps: Math.round(throughput.rps), overviewLatencyP50Ms: round(throughput.p50), overviewLatencyP95Ms: round(throughput.p95), tasks, firstRenderMs: render };
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(base, { recursive: true, force: true });
  }
}

const round = (value: number) => Math.round(value * 100) / 100;

async function startServer(dataDir: string, configFile: string): Promise<{ child: ChildProcess; url: string; token: string }> {
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, SERVER_SCRIPT, dataDir, configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dashboard bench: the server did not start in 30 s: ${stderr}`)), 30_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dashboard bench: the server exited (${code}): ${stderr}`));
    });
  });
  const { url, token } = JSON.parse(first) as { url: string; token: string };
  return { child, url, token };
}

/** autocannon against /api/overview; latencies from every response (autocannon's own summary has no p95). */
async function loadOverview(url: string, token: string, connections: number, durationSeconds: number): Promise<{ rps: number; p50: number; p95: number; requests: number }> {
  const target = { url: `${url}/api/overview`, connections, headers: { authorization: `Bearer ${token}` } };
  await run({ ...target, duration: 2 }); // warm-up: JIT, SQLite page cache
  const latencies: number[] = [];
  const result = await run({ ...target, duration: durationSeconds }, (responseTime) => latencies.push(responseTime));
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(`dashboard bench: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts under load`);
  }
  return { rps: result.requests.average, p50: percentile(latencies, 50)!, p95: percentile(latencies, 95)!, requests: result.requests.total };
}

function run(options: autocannon.Options, onResponse?: (responseTime: number) => void): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
    if (onResponse) instance.on('response', (_client, _status, _bytes, responseTime) => onResponse(responseTime));
  });
}

/** Navigation start → the app's `overview-rendered` mark, in a fresh tab each run, signed in beforehand. */
async function firstRender(url: string, token: string, runs: number): Promise<{ median: number; p95: number; runs: number }> {
  const browser = await launchChromium();
  try {
    const login = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
    const session = /ao_session=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')?.[1];
    if (!session) throw new Error(`dashboard bench: login failed (${login.status})`);
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    await context.addCookies([{ name: 'ao_session', value: session, url, httpOnly: true, sameSite: 'Strict' }]);
    const times: number[] = [];
    for (let index = 0; index <= runs; index++) {
      const page = await context.newPage();
      await page.goto(url, { waitUntil: 'commit' });
      await page.waitForFunction(() => performance.getEntriesByName('overview-rendered').length > 0, undefined, { timeout: 30_000 });
      const rendered = await page.evaluate(() => performance.getEntriesByName('overview-rendered')[0]!.startTime);
      await page.close();
      if (index > 0) times.push(rendered); // the first run warms the browser's cache and the server
    }
    await context.close();
    return { median: round(percentile(times, 50)!), p95: round(percentile(times, 95)!), runs: times.length };
  } finally {
    await browser.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  log('dashboard bench (10,000 tasks):');
  runDashboardBench({ log }).then(
    (result) => log(JSON.stringify(result, null, 2)),
    (error: unknown) => {
      log(`dashboard bench failed: ${(error as Error).stack ?? String(error)}`);
      process.exitCode = 1;
    },
  );
}
