/**
 * A configured service that is down while its unit is disabled or masked (operator intent) is left alone: its task
 * is 'ignored', the people who get escalations are told once per task through the outbox, the overview says
 * "left alone" instead of "being fixed", and the metrics count one fault, not one per pass.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { parseConfigText } from '../../src/config/load.js';
import { createDaemon, type Daemon } from '../../src/main.js';
import { silentLogger } from '../../src/core/logger.js';
import { nodeFileSystem } from '../../src/adapters/host/node-file-system.js';
import type { ServiceStatus } from '../../src/core/ports.js';
import type { Notification } from '../../src/core/notification.js';
import { DashboardData } from '../../src/web/dashboard-data.js';
import { PrometheusMetrics } from '../../src/web/metrics.js';
import { subject, textBody } from '../../src/notify/format.js';
import { MemoryAdapter, commandOk } from '../support/memory-adapter.js';
import { ManualClock } from '../support/manual-clock.js';

/** A memory adapter whose units have the file states the test gives (enabled otherwise), and failed units to list. */
class IntentAdapter extends MemoryAdapter {
  readonly fileStates = new Map<string, string>();
  failed: string[] = [];
  override status(name: string): ServiceStatus {
    return { ...super.status(name), unitFileState: this.fileStates.get(name) ?? 'enabled' };
  }
  override async listFailed() {
    return this.failed;
  }
}

let dataDir: string;
let daemon: Daemon | undefined;
beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'orchestrator-left-alone-'));
});
afterEach(() => {
  daemon?.stores.close();
  daemon = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

function start(units: IntentAdapter, clock: ManualClock, metrics?: PrometheusMetrics): Daemon & { config: CompiledConfig } {
  const config = parseConfigText(
    `dataDir: ${dataDir}
cycle: { interval: 1h, watchInterval: 1s, watchFailedUnits: true }
verification: { settle: 10ms }
host: { disk: { enabled: false }, inodes: { enabled: false }, memory: { enabled: false } }
notify:
  webhooks:
    - { name: ops, url: "http://127.0.0.1:9/hook" }
services:
  - { name: web, unit: web.service }
  - { name: app, unit: app.service }
`,
    'test',
  );
  const runner = { run: async (argv: readonly string[]) => commandOk(argv) };
  daemon = createDaemon({ config, logger: silentLogger, metrics, adapters: { runner, adapter: units, probes: undefined as never, files: nodeFileSystem, clock } });
  return { ...daemon, config };
}

const outbox = (daemon: Daemon) => daemon.stores.outbox.due(Date.parse('2100-01-01T00:00:00Z'), 100);

describe('a service left alone by operator intent', () => {
  it('is an ignored task, told once per task through the outbox, never escalated, and shown as left alone', async () => {
    const units = new IntentAdapter();
    units.states.set('web.service', 'stopped');
    units.fileStates.set('web.service', 'disabled');
    const clock = new ManualClock();
    const { orchestrator, stores, config } = start(units, clock);

    await orchestrator.runCycle('full');
    for (let pass = 0; pass < 5; pass++) {
      clock.advance(1_000);
      await orchestrator.runCycle('watch');
    }
    await orchestrator.runCycle('full');
    await orchestrator.idle();

    const tasks = stores.tasks.list({ service: 'web' });
    expect(tasks).toHaveLength(1);
    const task = tasks[0]!;
    expect(task.status).toBe('ignored');
    expect(units.actions).toEqual([]);
    expect(stores.escalations.list({})).toEqual([]);

    const queued = outbox(daemon!);
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ channel: 'webhook:ops', dedupKey: `${task.id}:service.left_alone` });
    const notification: Notification = queued[0]!.notification;
    expect(notification.kind).toBe('service.left_alone');
    expect(notification.escalation.reason.split('\n')[0]).toBe('web is down, left alone because the unit is disabled');
    expect(notification.actions.resolve).toBe('systemctl enable --now web.service');
    expect(subject(notification)).toMatch(/^\[left alone\] web on .*: unit_\w+ — web is down, left alone because the unit is disabled$/);
    expect(textBody(notification)).toMatch(/Why nothing is done:\n {4}web is down, left alone because the unit is disabled/);
    expect(textBody(notification)).toContain('If it should run: systemctl enable --now web.service');
    expect(textBody(notification)).not.toMatch(/Acknowledge|escalated directly/);

    const data = new DashboardData({ stores, config, readOnly: true, host: 'h', isDaemonRunning: () => true });
    const web = data.overview(clock.now()).services.find((service) => service.name === 'web');
    expect(web).toMatchObject({ state: 'left_alone', note: 'left alone: the unit is disabled (operator intent)', openTask: { id: task.id, status: 'ignored' } });
    expect(data.overview(clock.now()).funnel).toMatchObject({ total: 1, ignored: 1, pending: 0, escalated: 0 });

    // Healthy again, the task ends; down again (still disabled), a new task is told once more.
    units.states.set('web.service', 'running');
    await orchestrator.runCycle('full');
    expect(stores.tasks.get(task.id)!.status).toBe('recovered');
    units.states.set('web.service', 'stopped');
    await orchestrator.runCycle('full');
    await orchestrator.runCycle('watch');
    const second = stores.tasks.list({ service: 'web' }).find((candidate) => candidate.id !== task.id)!;
    expect(second.status).toBe('ignored');
    expect(outbox(daemon!).map((entry) => entry.dedupKey)).toEqual([`${task.id}:service.left_alone`, `${second.id}:service.left_alone`]);
  });

  it('says masked and how to unmask; a discovered unit (not configured) is left alone without a notification', async () => {
    const units = new IntentAdapter();
    units.states.set('web.service', 'stopped');
    units.fileStates.set('web.service', 'masked');
    units.states.set('stray.service', 'failed');
    units.fileStates.set('stray.service', 'disabled');
    units.failed = ['stray.service'];
    const { orchestrator, stores } = start(units, new ManualClock());
    await orchestrator.runCycle('full');
    await orchestrator.idle();
    expect(
      stores.tasks
        .listTracking()
        .map((task) => [task.service, task.status])
        .sort(),
    ).toEqual([
      ['stray', 'ignored'],
      ['web', 'ignored'],
    ]);
    const queued = outbox(daemon!);
    expect(queued).toHaveLength(1);
    expect(queued[0]!.notification.escalation.service).toBe('web');
    expect(queued[0]!.notification.escalation.reason).toMatch(/^web is down, left alone because the unit is masked\n/);
    expect(queued[0]!.notification.actions.resolve).toBe('systemctl unmask web.service && systemctl enable --now web.service');
  });
});

describe('the metrics of the cycle engine', () => {
  const sample = async (metrics: PrometheusMetrics, pattern: RegExp) => Number(pattern.exec((await metrics.render()).body)?.[1]);

  it('count a fault once however many passes see it, report each service by name, and the time of the last pass', async () => {
    const units = new IntentAdapter();
    units.states.set('web.service', 'stopped');
    units.fileStates.set('web.service', 'disabled');
    const clock = new ManualClock();
    const metrics = new PrometheusMetrics({ defaultMetrics: false });
    const { orchestrator, stores } = start(units, clock, metrics);
    metrics.attach(stores);

    await orchestrator.runCycle('full');
    const fullAt = clock.now();
    for (let pass = 0; pass < 20; pass++) {
      clock.advance(1_000);
      await orchestrator.runCycle('watch');
    }
    await orchestrator.idle();

    expect(await sample(metrics, /^orchestrator_issues_detected_total\{service="web"\} (\d+)$/m)).toBe(1);
    expect(await sample(metrics, /^orchestrator_tasks_created_total\{service="web"\} (\d+)$/m)).toBe(1);
    // The old counter grew by the failing checks of every pass: 21 here.
    expect(await sample(metrics, /^orchestrator_checks_run_total (\d+)$/m)).toBeGreaterThanOrEqual(21 * 2);
    expect(await sample(metrics, /^orchestrator_cycle_failing_checks\{kind="watch"\} (\d+)$/m)).toBe(1);
    expect(await sample(metrics, /^orchestrator_service_up\{service="web"\} (\d+)$/m)).toBe(0);
    expect(await sample(metrics, /^orchestrator_service_up\{service="app"\} (\d+)$/m)).toBe(1);
    expect(await sample(metrics, /^orchestrator_last_cycle_timestamp_seconds\{kind="watch"\} ([\d.]+)$/m)).toBe(clock.now() / 1000);
    expect(await sample(metrics, /^orchestrator_last_cycle_timestamp_seconds\{kind="full"\} ([\d.]+)$/m)).toBe(fullAt / 1000);

    // Up again: the next watch says so (its unit check is what failed).
    units.states.set('web.service', 'running');
    await orchestrator.runCycle('watch');
    expect(await sample(metrics, /^orchestrator_service_up\{service="web"\} (\d+)$/m)).toBe(1);
  });
});
