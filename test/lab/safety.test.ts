/**
 * In a real systemd, the cases where doing less is right: a broken nginx configuration is escalated with the
 * config test's output and never restarted; a crash loop exhausts the action budget and is escalated once; a
 * masked unit is left alone; a daemon killed mid-action resumes by re-checking health, never repeating blindly.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { SystemdLab } from './systemd-lab.js';
import { describeLab } from './describe-lab.js';
import { appUnit, LabDaemon, HOST_CHECKS_OFF } from './lab-daemon.js';

const NGINX = existsSync('/usr/sbin/nginx');
if (!NGINX) console.warn('safety lab: nginx is not installed (apt-get install nginx): the broken-config test is skipped');

describeLab('safety (systemd lab)', () => {
  let lab: SystemdLab;
  let daemon: LabDaemon;

  beforeAll(async () => {
    lab = await SystemdLab.boot({ name: 'safety' });
    if (NGINX) {
      // A private copy of /etc/nginx inside the lab, so breaking it never touches the host's.
      await lab.exec(['cp', '-a', '/etc/nginx', '/run/etc-nginx']);
      await lab.exec(['mount', '--bind', '/run/etc-nginx', '/etc/nginx']);
      await lab.systemctl('restart', 'nginx.service');
    }
    await lab.writeUnit('lab-loop.service', appUnit('crash loop', { PORT: '18085', EXIT_AFTER_MS: '2500', EXIT_CODE: '1' }));
    await lab.writeUnit('lab-masked.service', appUnit('masked by the operator', { PORT: '18086' }));
    await lab.writeUnit('lab-slow.service', appUnit('slow to start', { PORT: '18087' }, 'ExecStartPre=/bin/sleep 3'));
    await lab.systemctl('daemon-reload');
    await lab.systemctl('start', 'lab-masked.service', 'lab-slow.service');
    daemon = new LabDaemon(lab, 'safety');
    daemon.writeConfig(`
cycle: { interval: 5m, watchInterval: 1s, watchFailedUnits: false }
verification: { settle: 1s }
safety: { budget: { actions: 3, window: 15m } }
${HOST_CHECKS_OFF}
services:
${NGINX ? '  - { name: nginx, profile: nginx }\n' : ''}  - { name: loop, unit: lab-loop.service }
  - { name: masked, unit: lab-masked.service }
  - name: slow
    unit: lab-slow.service
    checks:
      - { type: http, url: "http://127.0.0.1:18087/", timeout: 2s }
`);
    await daemon.startAndWait();
  });

  afterAll(async () => {
    await daemon?.kill('SIGTERM').catch(() => undefined);
    await lab?.stop();
  });

  it.skipIf(!NGINX)('escalates a broken nginx config with the config test output and does not restart it', async () => {
    await lab.exec(['tee', '-a', '/etc/nginx/nginx.conf'], { input: '\nthis_is_not_a_directive on;\n' });
    const pid = await lab.mainPid('nginx.service');
    await lab.exec(['kill', '-9', String(pid)]);
    const task = await daemon.waitForTask('nginx', (row) => row.status === 'escalated', 'nginx task escalated', 30_000);
    expect(task.reason).toMatch(/config test failed for nginx.service: nginx -t exited 1; not restarting/);
    expect(task.reason).toMatch(/unknown directive "this_is_not_a_directive"/);
    const attempts = daemon.attempts(task.id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.outcome).toBe('failure');
    // tasks.db and escalations.db are two files: the escalation is committed just after the task.
    await lab.waitFor(async () => daemon.query('escalations', 'SELECT 1 FROM escalations WHERE task_id = ?', task.id).length === 1, {
      timeoutMs: 5_000,
      what: 'the escalation row',
    });
    const [escalation] = daemon.query<{ status: string; reason: string }>('escalations', 'SELECT * FROM escalations WHERE task_id = ?', task.id);
    expect(escalation!.status).toBe('open');
    // No restart loop: the unit stays down and nothing more is tried.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await lab.unitState('nginx.service')).activeState).not.toBe('active');
    expect(daemon.tasks('nginx')).toHaveLength(1);
    expect(daemon.attempts(task.id)).toHaveLength(1);
  });

  it('stops a crash loop at the action budget and escalates it once', async () => {
    await lab.systemctl('start', 'lab-loop.service');
    const escalated = await daemon.waitForTask('loop', (row) => row.status === 'escalated', 'crash loop escalated', 90_000);
    // The budget running out is why it stopped, in the timeline: the headline says what the service does.
    expect(escalated.reason ?? '').toMatch(/^why it stopped here: action budget for loop exhausted: 3 actions in 15 min$/m);
    expect((escalated.reason ?? '').split('\n')[0]).not.toMatch(/action budget/);
    expect((escalated.reason ?? '').split('\n')[0]).toMatch(/^lab-loop\.service/);
    const acted = daemon.query<{ n: number }>('tasks', `SELECT COUNT(*) AS n FROM attempts WHERE service = 'loop' AND acted = 1`)[0]!.n;
    expect(acted).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(daemon.query<{ n: number }>('tasks', `SELECT COUNT(*) AS n FROM attempts WHERE service = 'loop' AND acted = 1`)[0]!.n).toBe(3);
    expect(daemon.tasks('loop').filter((row) => row.status === 'escalated')).toHaveLength(1);
    expect(daemon.query('escalations', `SELECT * FROM escalations WHERE service = 'loop'`)).toHaveLength(1);
  });

  it('leaves a masked unit alone and says why', async () => {
    // A runtime mask that shadows the unit file (systemctl mask --runtime would collide with it in /run/systemd/system).
    await lab.exec(['mkdir', '-p', '/run/systemd/system.control']);
    await lab.exec(['ln', '-s', '/dev/null', '/run/systemd/system.control/lab-masked.service']);
    await lab.systemctl('daemon-reload');
    expect(await lab.unitProperty('lab-masked.service', 'UnitFileState')).toBe('masked-runtime');
    const pid = await lab.mainPid('lab-masked.service');
    await lab.exec(['kill', '-9', String(pid)]);
    const task = await daemon.waitForTask('masked', () => true, 'masked task recorded', 30_000);
    expect(task.status).toBe('ignored');
    expect(task.reason).toMatch(/masked-runtime: operator intent, left alone/);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(daemon.attempts(task.id)).toHaveLength(0);
    expect((await lab.unitState('lab-masked.service')).activeState).not.toBe('active');
  });

  it('resumes after being killed mid-action: re-checks health and does not repeat the action', async () => {
    const tasksBefore = daemon.query<{ n: number }>('tasks', 'SELECT COUNT(*) AS n FROM tasks')[0]!.n;
    const pid = await lab.mainPid('lab-slow.service');
    await lab.exec(['kill', '-9', String(pid)]);
    // The restart takes 3 s (ExecStartPre=sleep 3): kill the daemon while it waits on it.
    await lab.waitFor(async () => /"service":"slow"[^\n]*"msg":"acting: /.test(daemon.log()), {
      what: 'restart of lab-slow in progress',
      timeoutMs: 20_000,
      intervalMs: 50,
    });
    await daemon.kill('SIGKILL');
    expect(daemon.query<{ n: number }>('tasks', 'SELECT COUNT(*) AS n FROM tasks')[0]!.n).toBe(tasksBefore + 1);
    expect(daemon.query('tasks', `SELECT 1 FROM attempts WHERE service = 'slow' AND outcome IS NULL`)).toHaveLength(1);
    // systemd finishes the job on its own; the daemon comes back after it.
    await lab.waitFor(async () => (await lab.unitState('lab-slow.service')).activeState === 'active', { what: 'lab-slow active', timeoutMs: 20_000 });
    const healthyPid = await lab.mainPid('lab-slow.service');
    daemon.start();
    const task = await daemon.waitForTask('slow', (row) => row.status === 'recovered' || row.status === 'fixed', 'slow task closed after resume', 30_000);
    expect(task.status).toBe('recovered');
    const attempts = daemon.attempts(task.id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.outcome).toBe('interrupted');
    expect(await lab.mainPid('lab-slow.service')).toBe(healthyPid);
    expect(daemon.log()).toMatch(/resuming tasks left mid-action/);
  });
});
