/**
 * In a real systemd, faults only the full cycle's probes can see: a hung process (SIGSTOP: the unit is active
 * but HTTP requests hang) and a dependency that was stopped (the app answers 503; restart the dependency, not
 * the app).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SystemdLab } from './systemd-lab.js';
import { describeLab } from './describe-lab.js';
import { appUnit, LabDaemon, HOST_CHECKS_OFF } from './lab-daemon.js';

describeLab('probe faults (systemd lab)', () => {
  let lab: SystemdLab;
  let daemon: LabDaemon;

  beforeAll(async () => {
    lab = await SystemdLab.boot({ name: 'probe-faults' });
    await lab.writeUnit('lab-hung.service', appUnit('hung', { PORT: '18082' }));
    await lab.writeUnit('lab-db.service', appUnit('database stand-in', { PORT: '18090' }));
    await lab.writeUnit('lab-webapp.service', appUnit('web app using lab-db', { PORT: '18084', DEPENDS_TCP: '127.0.0.1:18090' }));
    await lab.systemctl('start', 'lab-hung.service', 'lab-db.service', 'lab-webapp.service');
    daemon = new LabDaemon(lab, 'probe-faults');
    daemon.writeConfig(`
cycle: { interval: 2s, watchInterval: 1s, watchFailedUnits: false }
verification: { settle: 1s }
${HOST_CHECKS_OFF}
services:
  - name: hung
    unit: lab-hung.service
    checks:
      - { type: http, url: "http://127.0.0.1:18082/", timeout: 1s }
  - name: webapp
    unit: lab-webapp.service
    dependsOn: [lab-db.service]
    checks:
      - { type: http, url: "http://127.0.0.1:18084/", timeout: 2s }
`);
    await daemon.startAndWait();
  });

  afterAll(async () => {
    await daemon?.kill('SIGTERM').catch(() => undefined);
    await lab?.stop();
  });

  it('restarts a hung (SIGSTOPped) process whose unit still looks active', async () => {
    const pid = await lab.mainPid('lab-hung.service');
    await lab.exec(['kill', '-STOP', String(pid)]);
    expect((await lab.unitState('lab-hung.service')).activeState).toBe('active');
    const task = await daemon.waitForTask('hung', (row) => row.status === 'fixed' || row.status === 'escalated', 'hung task finished', 60_000);
    expect(task).toMatchObject({ status: 'fixed', symptom: 'http_timeout', fixed_by_phase: 1 });
    expect(await lab.mainPid('lab-hung.service')).not.toBe(pid);
    expect((await lab.httpGet('http://127.0.0.1:18082/')).status).toBe(200);
  });

  it('restarts the stopped dependency, not the app that depends on it', async () => {
    const appPid = await lab.mainPid('lab-webapp.service');
    await lab.systemctl('stop', 'lab-db.service');
    const task = await daemon.waitForTask('webapp', (row) => row.status === 'fixed' || row.status === 'escalated', 'webapp task finished', 60_000);
    expect(task).toMatchObject({ status: 'fixed', symptom: 'http_status', signature: 'http_status:503' });
    const attempts = daemon.attempts(task.id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ source: 'dependency', plan_key: 'restart_dependency(unit=lab-db.service)', outcome: 'success' });
    expect(await lab.mainPid('lab-webapp.service')).toBe(appPid);
    expect((await lab.unitState('lab-db.service')).activeState).toBe('active');
  });

  it('never restarts anything for a healthy system', async () => {
    const before = daemon.query<{ n: number }>('tasks', 'SELECT COUNT(*) AS n FROM attempts')[0]!.n;
    const cycles = daemon.query<{ n: number }>('tasks', `SELECT COUNT(*) AS n FROM cycles WHERE kind = 'full'`)[0]!.n;
    await lab.waitFor(async () => daemon.query<{ n: number }>('tasks', `SELECT COUNT(*) AS n FROM cycles WHERE kind = 'full'`)[0]!.n >= cycles + 3, {
      what: 'three more full cycles',
      timeoutMs: 30_000,
    });
    expect(daemon.query<{ n: number }>('tasks', 'SELECT COUNT(*) AS n FROM attempts')[0]!.n).toBe(before);
  });
});
