/**
 * One set of numbers: the same tasks.db and escalations.db give the same outcome counts from the outcomes module,
 * `orchestrator stats` (the CLI, run as a process), the dashboard's overview and task filter, and the metrics.
 * The fixture holds every way a task ends, including the ones the numbers used to disagree on: escalations
 * resolved by a person or auto-resolved (their tasks' status is 'recovered'), and an escalated task the
 * orchestrator finished on a retry (fix_successful = 1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStores, type Stores } from '../../src/store/stores.js';
import { parseConfigText } from '../../src/config/load.js';
import { EscalationService } from '../../src/escalation/escalation-service.js';
import { silentLogger } from '../../src/core/logger.js';
import type { Task } from '../../src/core/types.js';
import { TASK_OUTCOMES, escalatedTaskIds, outcomeCounts, taskOutcome, type OutcomeCounts, type TaskOutcome } from '../../src/store/task-outcomes.js';
import { createWebServer, type WebServer } from '../../src/web/server.js';
import { PrometheusMetrics } from '../../src/web/metrics.js';
import { formatStats } from '../../src/cli/format.js';
import { ManualClock } from '../support/manual-clock.js';
import { writeTask } from '../support/tasks.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DAY = 86_400_000;
const MINUTE = 60_000;

let dataDir: string;
let stores: Stores;
let clock: ManualClock;
let server: WebServer;
/** What each fixture task is, by definition (README: What the numbers mean). */
const expected = new Map<string, TaskOutcome>();

const config = parseConfigText('escalation: { autoResolveCycles: 2 }\nservices:\n  - { name: web, unit: web.service }\n', 'test');

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'orchestrator-outcomes-'));
  stores = openStores(dataDir);
  // Real time: the CLI's --days window is counted from the real clock.
  clock = new ManualClock(Date.now() - 3 * 3_600_000);
  let ids = 0;
  const escalations = new EscalationService({ stores, config: { ...config, dataDir }, clock, newId: () => `e${++ids}`, logger: silentLogger, host: 'h', channels: [] });
  const add = (service: string, outcome: TaskOutcome, overrides: Partial<Task> = {}) => {
    const task = writeTask(stores, clock.now(), service, { id: `${service}-${++ids}`, fingerprint: `fp-${service}-${ids}`, ...overrides });
    expected.set(task.id, outcome);
    clock.advance(MINUTE);
    return task;
  };
  const closed = (durationMs: number) => ({ closedAt: clock.now() + durationMs, durationMs });
  const escalate = (task: Task) => {
    stores.tasks.finish(task.id, { status: 'escalated', fixSuccessful: false, fixedByPhase: null, closedAt: null, durationMs: 900_000, reason: 'phases 1-3 failed' });
    stores.tasks.setStatus(task.id, 'escalated', 3);
    return escalations.escalate({ task: stores.tasks.get(task.id)!, reason: 'phases 1-3 failed', causeKey: null, hypotheses: [] });
  };

  // Long ago: outside every window, counted only by the all-time metrics.
  clock.advance(-20 * DAY);
  add('web', 'fixed', { status: 'fixed', fixSuccessful: true, fixedByPhase: 1, phase: 1, ...closed(5_000) });
  escalate(add('db', 'escalated'));
  clock.advance(20 * DAY);

  add('web', 'fixed', { status: 'fixed', fixSuccessful: true, fixedByPhase: 1, phase: 1, ...closed(10_000) });
  add('web', 'fixed', { status: 'fixed', fixSuccessful: true, fixedByPhase: 2, phase: 2, ...closed(20_000) });
  add('api', 'fixed', { status: 'fixed', fixSuccessful: true, fixedByPhase: 3, phase: 3, ...closed(30_000) });
  add('cron', 'recovered', { status: 'recovered', ...closed(40_000), reason: 'healthy again' });
  escalate(add('db', 'escalated'));
  // Resolved by a person: the task's status becomes 'recovered', but a person was needed.
  const byHand = escalate(add('queue', 'escalated'));
  await escalations.resolve(byHand.id, { fixes: [], note: 'restarted it', actor: 'test' });
  // Auto-resolved once healthy: the same.
  escalate(add('cache', 'escalated'));
  escalations.observe(new Set(['cache']));
  escalations.observe(new Set(['cache']));
  // Finished by the orchestrator on a retry once the block cleared: fix_successful = 1, but it was escalated first.
  const retried = add('mail', 'escalated');
  escalate(retried);
  stores.tasks.finish(retried.id, { status: 'fixed', fixSuccessful: true, fixedByPhase: 1, closedAt: clock.now(), durationMs: 1_800_000, reason: 'retried' });
  escalations.taskFixed(retried.id, 'the block cleared; restart_unit verified');
  add('disk', 'ignored', { status: 'ignored', reason: 'the unit is disabled: operator intent, left alone' });
  add('ntp', 'pending');
  add('dns', 'pending', { status: 'running', phase: 2 });

  server = createWebServer({
    config: { ...config, dataDir },
    stores,
    readOnly: true,
    logger: silentLogger,
    clock,
    isDaemonRunning: () => true,
    metrics: new PrometheusMetrics({ defaultMetrics: false }),
  });
});

afterAll(async () => {
  await server?.close();
  stores?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The numbers of the recent fixture tasks, by definition. */
const WANTED: OutcomeCounts = {
  total: 11,
  fixed: 3,
  fixedByPhase: { '1': 1, '2': 1, '3': 1 },
  escalated: 4,
  escalatedOpen: 1,
  recovered: 1,
  ignored: 1,
  pending: 2,
  // Of the fixed and recovered only (10, 20, 30, 40 s); the escalated ones' 15 and 30 minutes never count.
  medianRecoveryMs: 25_000,
};

const get = (url: string) => server.app.inject({ method: 'GET', url, headers: { host: '127.0.0.1:8888', authorization: `Bearer ${server.token}` } });

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('the outcomes of tasks', () => {
  it('are counted by the module as defined: escalated whatever followed, fixed only without a person, MTTR only of what ended healthy', () => {
    expect(outcomeCounts(stores, clock.now() - 7 * DAY)).toEqual(WANTED);
  });

  it('are decided the same in TypeScript and in SQL, and the task filter lists exactly each outcome', async () => {
    const escalated = new Set(escalatedTaskIds(stores));
    const listed = stores.tasks.search({ limit: 1000 }, [...escalated]);
    expect(listed).toHaveLength(expected.size);
    for (const task of listed) {
      expect(task.outcome, task.id).toBe(expected.get(task.id));
      expect(taskOutcome(task, escalated.has(task.id)), task.id).toBe(task.outcome);
    }
    for (const outcome of TASK_OUTCOMES) {
      const ids = (await get(`/api/tasks?outcome=${outcome}&limit=1000`)).json().map((task: { id: string }) => task.id);
      expect(ids.sort(), outcome).toEqual(
        [...expected]
          .filter(([, wanted]) => wanted === outcome)
          .map(([id]) => id)
          .sort(),
      );
    }
    // The older name of pending still works.
    expect((await get('/api/tasks?outcome=open')).json()).toHaveLength(2);
  });

  it('give the same numbers from `orchestrator stats`, as JSON and as text (no phase-4 row under auto-fixed)', async () => {
    const json = await cli(['stats', '--days', '7', '--json', '--data-dir', dataDir]);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ...WANTED, days: 7, fixRate: 3 / 11 });
    const text = await cli(['stats', '--days', '7', '--data-dir', dataDir]);
    expect(text.stdout).toBe(`${formatStats(WANTED, 7)}\n`);
    expect(text.stdout).toMatch(/^Escalated: +4 \(36\.4%; 1 still open\)$/m);
    expect(text.stdout).toMatch(/^Recovered by itself: 1$/m);
    expect(text.stdout).toMatch(/^Median time to recovery: 25s/m);
    expect(text.stdout).not.toMatch(/phase 4/);
  });

  it('give the same numbers on the dashboard: the funnel, the last 24 hours and the time to recovery of each task', async () => {
    const overview = (await get('/api/overview')).json();
    const { fixedByPhase, medianRecoveryMs: _median, fixed: _fixed, ...rest } = WANTED;
    expect(overview.funnel).toEqual({ ...rest, phase1: fixedByPhase['1'], phase2: fixedByPhase['2'], phase3: fixedByPhase['3'] });
    expect(overview.counts).toMatchObject({ tasksLast24h: 11, fixedLast24h: 3, openTasks: 2 });
    // Only tasks that ended healthy are points of the time-to-recovery chart (recovered ones without a phase).
    expect(overview.recovery.map((point: { durationMs: number }) => point.durationMs).sort((a: number, b: number) => a - b)).toEqual([5_000, 10_000, 20_000, 30_000, 40_000]);

    const [openEscalated] = [...expected].find(([id, outcome]) => outcome === 'escalated' && stores.tasks.get(id)!.status === 'escalated') ?? [];
    const detail = (await get(`/api/tasks/${openEscalated}`)).json();
    expect(detail.task.durationMs).toBe(900_000);
    expect(detail.task).toMatchObject({ outcome: 'escalated', recoveryMs: null });
    const retried = (await get(`/api/tasks/${[...expected.keys()].find((id) => id.startsWith('mail-'))}`)).json();
    expect(retried.task).toMatchObject({ fixSuccessful: true, outcome: 'escalated', recoveryMs: null });
    const fixed = (await get(`/api/tasks/${[...expected.keys()].find((id) => id.startsWith('api-'))}`)).json();
    expect(fixed.task).toMatchObject({ outcome: 'fixed', recoveryMs: 30_000 });
  });

  it('give the same numbers, all time and by service, in the metrics', async () => {
    const body = (await get('/metrics')).body;
    const total = (outcome: string) =>
      [...body.matchAll(new RegExp(`^orchestrator_task_outcomes_total\\{service="[^"]+",outcome="${outcome}",fixed_by_phase="[^"]+"\\} (\\d+)$`, 'gm'))].reduce(
        (sum, match) => sum + Number(match[1]),
        0,
      );
    const allTime = outcomeCounts(stores, 0);
    expect(allTime).toMatchObject({ fixed: 4, escalated: 5, recovered: 1 });
    expect({ fixed: total('fixed'), escalated: total('escalated'), recovered: total('recovered') }).toEqual({ fixed: 4, escalated: 5, recovered: 1 });
    expect(body).toMatch(/^orchestrator_task_outcomes_total\{service="web",outcome="fixed",fixed_by_phase="1"\} 2$/m);
    expect(body).toMatch(/^orchestrator_task_outcomes_total\{service="mail",outcome="escalated",fixed_by_phase="none"\} 1$/m);
    // Not final: never in the counter (they are in orchestrator_tasks{status}).
    expect(body).not.toMatch(/outcome="(pending|ignored)"/);
  });
});
