/**
 * In a real systemd with the default heuristic agent: faults phase 1 cannot fix but phase 2 can — a stale lock
 * file that no profile knows (found through the unit's RuntimeDirectory), and a changed configuration restored
 * from its last-known-good snapshot — and the lock fault's second occurrence fixed in phase 1 from what was learned.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { SystemdLab } from './systemd-lab.js';
import { describeLab } from './describe-lab.js';
import { appUnit, LabDaemon, HOST_CHECKS_OFF } from './lab-daemon.js';

describeLab('phase 2: agent and recovery ladder (systemd lab)', () => {
  let lab: SystemdLab;
  let daemon: LabDaemon;

  beforeAll(async () => {
    lab = await SystemdLab.boot({ name: 'agent-phases' });
    await lab.writeUnit(
      'lab-lock.service',
      appUnit('lock file outside any profile', { PORT: '18091', LOCKFILE: '/run/lab-lock/app.lock' }, 'RuntimeDirectory=lab-lock\nRuntimeDirectoryPreserve=yes'),
    );
    await lab.writeFile('/run/lab-conf/app.conf', 'listen 18092\n');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await lab.writeUnit('lab-conf.service', appUnit('configured app', { PORT: '18092', CONFIG_FILE: '/run/lab-conf/app.conf' }));
    await lab.systemctl('start', 'lab-lock.service', 'lab-conf.service');
    daemon = new LabDaemon(lab, 'agent-phases');
    daemon.writeConfig(`
cycle: { interval: 2s, watchInterval: 1s, watchFailedUnits: false }
verification: { settle: 1s }
phases: { quickFix: { backoff: 500ms } }
safety: { budget: { actions: 10, window: 15m } }
${HOST_CHECKS_OFF}
services:
  - name: lock
    unit: lab-lock.service
    checks:
      - { type: http, url: "http://127.0.0.1:18091/", timeout: 2s }
  - name: conf
    unit: lab-conf.service
    configPaths: [/run/lab-conf]
    checks:
      - { type: http, url: "http://127.0.0.1:18092/", timeout: 2s }
`);
    daemon.start();
    await lab.waitFor(async () => existsSync(path.join(daemon.dataDir, 'snapshots', 'conf', 'manifest.json')), { what: 'snapshot of conf', timeoutMs: 30_000 });
  });

  afterAll(async () => {
    await daemon?.kill('SIGTERM').catch(() => undefined);
    await lab?.stop();
  });

  it('clears a stale lock file no profile knows, in phase 2, after phase 1 restarts fail', async () => {
    await lab.exec(['kill', '-9', String(await lab.mainPid('lab-lock.service'))]);
    const task = await daemon.waitForTask('lock', (row) => row.status === 'fixed' || row.status === 'escalated', 'lock task finished', 90_000);
    expect(task).toMatchObject({ status: 'fixed', fixed_by_phase: 2 });
    const attempts = daemon.attempts(task.id);
    expect(attempts.filter((attempt) => attempt.phase === 1).every((attempt) => attempt.outcome === 'failure')).toBe(true);
    const fix = attempts.at(-1)!;
    expect(fix).toMatchObject({ phase: 2, outcome: 'success' });
    expect(fix.plan_key).toBe('remove_stale_file(path=/run/lab-lock/app.lock) + start_unit(unit=lab-lock.service)');
    const verdicts = daemon.query<{ agent: string; accepted: number }>('tasks', 'SELECT * FROM verdicts WHERE task_id = ?', task.id);
    expect(verdicts[0]).toMatchObject({ agent: 'heuristic' });
  });

  it('fixes the second occurrence in phase 1 with the plan phase 2 found', async () => {
    await lab.exec(['kill', '-9', String(await lab.mainPid('lab-lock.service'))]);
    await lab.waitFor(async () => daemon.tasks('lock').length === 2 && daemon.tasks('lock')[1]!.status !== 'open' && daemon.tasks('lock')[1]!.status !== 'running', {
      what: 'second lock task finished',
      timeoutMs: 60_000,
    });
    const second = daemon.tasks('lock')[1]!;
    expect(second).toMatchObject({ status: 'fixed', fixed_by_phase: 1 });
    expect(daemon.attempts(second.id)[0]).toMatchObject({ phase: 1, source: 'learned', outcome: 'success' });
  });

  it('restores a changed configuration from its last-known-good snapshot', async () => {
    await lab.exec(['tee', '-a', '/run/lab-conf/app.conf'], { input: 'broken\n' });
    await lab.exec(['kill', '-9', String(await lab.mainPid('lab-conf.service'))]);
    const task = await daemon.waitForTask('conf', (row) => row.status === 'fixed' || row.status === 'escalated', 'conf task finished', 90_000);
    expect(task).toMatchObject({ status: 'fixed', fixed_by_phase: 2 });
    const fix = daemon.attempts(task.id).at(-1)!;
    expect(fix.plan_key).toBe('restore_config(unit=lab-conf.service) + restart_unit(unit=lab-conf.service)');
    expect(fix.detail).toMatch(/restored changed \/run\/lab-conf\/app.conf/);
    expect((await lab.exec(['cat', '/run/lab-conf/app.conf'])).stdout).toBe('listen 18092\n');
  });
});
