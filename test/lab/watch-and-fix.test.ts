/**
 * In a real systemd: a killed unit is noticed by the fast watch (the full cycle is 5 minutes away), fixed in
 * phase 1 and verified; a stale pid file that blocks the start is cleared; a repeat is fixed from what was learned.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SystemdLab } from './systemd-lab.js';
import { describeLab } from './describe-lab.js';
import { appUnit, LabDaemon, HOST_CHECKS_OFF } from './lab-daemon.js';

describeLab('watch and fix (systemd lab)', () => {
  let lab: SystemdLab;
  let daemon: LabDaemon;

  beforeAll(async () => {
    lab = await SystemdLab.boot({ name: 'watch-and-fix' });
    await lab.writeUnit('lab-crashy.service', appUnit('crashy', { PORT: '18081' }));
    await lab.writeUnit('lab-stale.service', appUnit('stale', { PORT: '18083', PIDFILE: '/run/lab-stale/app.pid' }, 'ExecStartPre=/bin/mkdir -p /run/lab-stale'));
    await lab.systemctl('start', 'lab-crashy.service', 'lab-stale.service');
    daemon = new LabDaemon(lab, 'watch-and-fix');
    daemon.writeConfig(`
cycle: { interval: 5m, watchInterval: 1s, watchFailedUnits: false }
verification: { settle: 1s }
${HOST_CHECKS_OFF}
services:
  - name: crashy
    unit: lab-crashy.service
    checks:
      - { type: http, url: "http://127.0.0.1:18081/", timeout: 2s }
  - name: stale
    unit: lab-stale.service
    runtimeFiles: [/run/lab-stale/app.pid]
    checks:
      - { type: http, url: "http://127.0.0.1:18083/", timeout: 2s }
`);
    await daemon.startAndWait();
  });

  afterAll(async () => {
    await daemon?.kill('SIGTERM').catch(() => undefined);
    await lab?.stop();
  });

  it('notices a kill -9 within the watch interval, restarts, verifies and records a phase-1 fix', async () => {
    const pid = await lab.mainPid('lab-crashy.service');
    await lab.exec(['kill', '-9', String(pid)]);
    const task = await daemon.waitForTask('crashy', (row) => row.status === 'fixed', 'crashy task fixed', 30_000);
    expect(task.symptom).toBe('unit_failed');
    expect(task.signature).toBe('unit_failed:signal');
    expect(task.fix_successful).toBe(1);
    expect(task.fixed_by_phase).toBe(1);
    expect(task.duration_ms).toBeGreaterThan(0);
    expect(daemon.tasks('crashy')).toHaveLength(1);
    const attempts = daemon.attempts(task.id);
    expect(attempts.at(-1)).toMatchObject({ phase: 1, outcome: 'success', plan_key: 'restart_unit(unit=lab-crashy.service)' });
    expect(attempts.at(-1)!.detail).toMatch(/verification passed/);
    expect((await lab.unitState('lab-crashy.service')).activeState).toBe('active');
    expect((await lab.httpGet('http://127.0.0.1:18081/')).status).toBe(200);
    // Only one full cycle ran (the one at start): the fast watch found it.
    expect(daemon.query<{ n: number }>('tasks', `SELECT COUNT(*) AS n FROM cycles WHERE kind = 'full'`)[0]!.n).toBe(1);
  });

  it('status says the watch is pushed by systemd over D-Bus, not polled', async () => {
    const status = await daemon.cli(['status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const { watching } = JSON.parse(status.stdout) as { watching: { how: string } };
    expect(watching.how).toMatch(/^the watch runs on each change and every 30s; systemd: pushed by systemd over D-Bus \(\/run\/(dbus\/system_bus_socket|systemd\/private)\)/);
    expect((await daemon.cli(['status'])).stdout).toMatch(/^Watching: +the watch runs on each change/m);
  });

  it('fixes the same fault the second time from the learned pattern, tried first', async () => {
    const pid = await lab.mainPid('lab-crashy.service');
    await lab.exec(['kill', '-9', String(pid)]);
    await lab.waitFor(async () => daemon.tasks('crashy').filter((row) => row.status === 'fixed').length === 2, { what: 'second crashy fix', timeoutMs: 30_000 });
    const second = daemon.tasks('crashy')[1]!;
    const attempts = daemon.attempts(second.id);
    expect(attempts[0]).toMatchObject({ source: 'learned', outcome: 'success' });
    const patterns = daemon.query<{ successes: number; plan_key: string }>('tasks', `SELECT * FROM patterns WHERE service = 'crashy'`);
    expect(patterns).toEqual([expect.objectContaining({ plan_key: 'restart_unit(unit=lab-crashy.service)', successes: 2 })]);
  });

  it('removes a stale pid file with no live owner, then starts the unit', async () => {
    const pid = await lab.mainPid('lab-stale.service');
    await lab.exec(['kill', '-9', String(pid)]);
    // The pid file stays behind with a dead pid: a plain restart would fail.
    const task = await daemon.waitForTask('stale', (row) => row.status === 'fixed' || row.status === 'escalated', 'stale task finished', 30_000);
    expect(task.status).toBe('fixed');
    const attempts = daemon.attempts(task.id);
    const fix = attempts.find((attempt) => attempt.outcome === 'success')!;
    expect(fix.source).toBe('profile');
    expect(fix.plan_key).toBe('remove_stale_file(path=/run/lab-stale/app.pid) + start_unit(unit=lab-stale.service)');
    expect(fix.detail).toContain(`pid ${pid} is not running`);
    const newPid = await lab.mainPid('lab-stale.service');
    const content = await lab.exec(['cat', '/run/lab-stale/app.pid']);
    expect(content.stdout.trim()).toBe(String(newPid));
  });

  it("answers the operators' monitoring query and the CLI reports from the same data", async () => {
    const [row] = daemon.query<{ total: number; fixed: number; fix_rate: number }>(
      'tasks',
      `SELECT COUNT(*) as total, SUM(fix_successful) as fixed, ROUND(100.0 * SUM(fix_successful) / COUNT(*), 1) as fix_rate FROM tasks WHERE detected_at > datetime('now', '-1 day')`,
    );
    expect(row).toEqual({ total: 3, fixed: 3, fix_rate: 100 });
    const stats = await daemon.cli(['stats', '--json']);
    expect(JSON.parse(stats.stdout)).toMatchObject({ total: 3, fixed: 3, fixedByPhase: { '1': 3 } });
    const taskId = daemon.tasks('stale')[0]!.id;
    const timeline = await daemon.cli(['task', taskId]);
    expect(timeline.stdout).toContain('remove_stale_file');
    expect(timeline.stdout).toContain('verify unit: ok');
    const second = await daemon.cli(['run', '--once']);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/already running/);
  });
});
