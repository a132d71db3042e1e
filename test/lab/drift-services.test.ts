/**
 * Debian's own services, faults that follow a change, in a real systemd: a typo in nginx's config (escalated
 * with the config test's output and no restart, finished by the daemon itself once a human repairs the file), a
 * `chown` of redis's data directory and a `chmod` of PostgreSQL's (both put back from the last-known-good state),
 * and faults no restart can fix from the first start on: a working directory that is gone (finished once it is
 * back), a variable that was never set, a data directory the service may not write and never could.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { SystemdLab } from './systemd-lab.js';
import { describeLab } from './describe-lab.js';
import { appUnit, LabDaemon, HOST_CHECKS_OFF, restartsSpent, type TaskRow } from './lab-daemon.js';

const NGINX = existsSync('/usr/sbin/nginx');
const REDIS = existsSync('/usr/bin/redis-server');
const POSTGRES = existsSync('/usr/lib/postgresql/15/bin/postgres');
for (const [present, name] of [
  [NGINX, 'nginx'],
  [REDIS, 'redis-server'],
  [POSTGRES, 'postgresql (15)'],
] as const) {
  if (!present) console.warn(`drift services lab: ${name} is not installed (apt-get install ${name.split(' ')[0]}): its test is skipped`);
}

describeLab("Debian's services after a change: restore what drifted, never a futile restart (systemd lab)", () => {
  let lab: SystemdLab;
  let daemon: LabDaemon;

  const finished = (service: string, timeoutMs = 60_000) =>
    daemon.waitForTask(service, (row) => ['fixed', 'escalated'].includes(row.status), `${service} task finished`, timeoutMs);
  const escalationOf = (task: TaskRow) =>
    daemon.query<{ id: string; reason: string; status: string; resolution: string | null }>('escalations', 'SELECT * FROM escalations WHERE task_id = ?', task.id)[0]!;

  beforeAll(async () => {
    lab = await SystemdLab.boot({ name: 'drift-services' });
    // Private copies of what the faults touch, so the host's files are never changed.
    if (NGINX) {
      await lab.exec(['cp', '-a', '/etc/nginx', '/run/etc-nginx']);
      await lab.exec(['mount', '--bind', '/run/etc-nginx', '/etc/nginx']);
      await lab.systemctl('restart', 'nginx.service');
    }
    if (REDIS) {
      await lab.exec(['cp', '-a', '/var/lib/redis', '/run/var-lib-redis']);
      await lab.exec(['mount', '--bind', '/run/var-lib-redis', '/var/lib/redis']);
      await lab.systemctl('restart', 'redis-server.service');
      await lab.exec(['redis-cli', 'set', 'lab-key', 'kept']);
      await lab.exec(['redis-cli', 'save']);
    }
    if (POSTGRES) await lab.systemctl('start', 'postgresql@15-main.service');
    await lab.exec(['mkdir', '-p', '/srv/lab-wd']);
    await lab.writeUnit('lab-wd.service', appUnit('runs in its directory', { PORT: '18501' }, 'WorkingDirectory=/srv/lab-wd'));
    await lab.writeUnit('lab-novar.service', appUnit('never had its variable', { PORT: '18502', REQUIRE_ENV: 'DATABASE_URL' }));
    await lab.exec(['mkdir', '-p', '/srv/lab-ro']);
    await lab.exec(['chmod', '0755', '/srv/lab-ro']);
    await lab.writeUnit('lab-ro.service', appUnit('may not write its data', { PORT: '18503', DATA_FILE: '/srv/lab-ro/data.log' }, 'User=nobody\nGroup=nogroup'));
    await lab.systemctl('start', 'lab-wd.service');
    // These two fail from their first start: no last-known-good state, and a restart runs into the same wall.
    await lab.systemctl('start', 'lab-novar.service', 'lab-ro.service');
    daemon = new LabDaemon(lab, 'drift-services');
    daemon.writeConfig(`
cycle: { interval: 3s, watchInterval: 1s, watchFailedUnits: false }
verification: { settle: 1s }
phases: { quickFix: { backoff: 500ms } }
safety: { budget: { actions: 6, window: 15m } }
${HOST_CHECKS_OFF}
services:
${NGINX ? '  - { name: nginx, profile: nginx }\n' : ''}${REDIS ? '  - { name: redis, profile: redis }\n' : ''}${POSTGRES ? '  - { name: postgresql, profile: postgresql, unit: postgresql@15-main.service }\n' : ''}  - { name: wd, unit: lab-wd.service, checks: [{ type: http, url: "http://127.0.0.1:18501/", timeout: 2s }] }
  - { name: novar, unit: lab-novar.service, checks: [{ type: http, url: "http://127.0.0.1:18502/", timeout: 2s }] }
  - { name: ro, unit: lab-ro.service, checks: [{ type: http, url: "http://127.0.0.1:18503/", timeout: 2s }] }
`);
    await daemon.startAndWait();
    for (const service of ['wd', ...(NGINX ? ['nginx'] : []), ...(REDIS ? ['redis'] : []), ...(POSTGRES ? ['postgresql'] : [])]) await daemon.knownGood(service);
  });

  afterAll(async () => {
    await daemon?.kill('SIGTERM').catch(() => undefined);
    await lab?.exec(['rm', '-rf', '/srv/lab-wd', '/srv/lab-ro']).catch(() => undefined);
    await lab?.stop();
  });

  it.skipIf(!NGINX)('a typo in nginx.conf: escalated with the config test output, no restart; once a human repairs it the daemon starts nginx and resolves', async () => {
    await lab.exec(['cp', '/etc/nginx/nginx.conf', '/run/nginx.conf.good']);
    await lab.exec(['tee', '-a', '/etc/nginx/nginx.conf'], { input: '\nworker_conections 1024;\n' });
    await lab.exec(['kill', '-9', String(await lab.mainPid('nginx.service'))]);
    const task = await finished('nginx');
    const attempts = daemon.attempts(task.id);
    expect(task.status, JSON.stringify(attempts)).toBe('escalated');
    expect(restartsSpent(attempts)).toEqual([]);
    const escalation = escalationOf(task);
    expect(escalation.reason.split('\n')[0]).toMatch(/^nginx\.service will not start: its config test fails: .*unknown directive "worker_conections"/);
    expect(escalation.reason).not.toMatch(/^action budget/m);
    // The human repairs the file; nothing else. The daemon re-runs the config test each cycle, then finishes the job.
    await lab.exec(['cp', '/run/nginx.conf.good', '/etc/nginx/nginx.conf']);
    await lab.waitFor(async () => escalationOf(task).status === 'auto_resolved', { what: 'the nginx escalation resolved by the daemon', timeoutMs: 60_000 });
    expect(escalationOf(task).resolution).toMatch(/^auto-resolved: the orchestrator finished the job: its config test passes again \(nginx -t\)/);
    expect((await lab.unitState('nginx.service')).activeState).toBe('active');
    expect((await lab.httpGet('http://127.0.0.1/')).status).not.toBeNull();
  });

  it.skipIf(!REDIS)('redis after a restore from backup as root (its dump.rdb now root 0600): the owner and mode are put back, redis starts with its data', async () => {
    // A careful operator pauses the daemon for the restore.
    expect((await daemon.cli(['pause', '--reason', 'restoring redis'])).code).toBe(0);
    await lab.systemctl('stop', 'redis-server.service');
    await lab.exec(['chown', 'root:root', '/var/lib/redis/dump.rdb']);
    await lab.exec(['chmod', '0600', '/var/lib/redis/dump.rdb']);
    // "Fatal error loading the DB: Permission denied. Exiting." goes to redis's own log file; the journal says exit 1.
    await lab.systemctl('start', 'redis-server.service').catch(() => undefined);
    await lab.waitFor(async () => (await lab.unitState('redis-server.service')).activeState === 'failed', { what: 'redis to give up', timeoutMs: 20_000 });
    expect((await daemon.cli(['resume'])).code).toBe(0);
    const task = await finished('redis');
    const attempts = daemon.attempts(task.id);
    expect(task, JSON.stringify(attempts)).toMatchObject({ status: 'fixed', fixed_by_phase: 1 });
    expect(attempts[0]!.plan_key).toBe('restore_permissions(unit=redis-server.service) + reset_failed(unit=redis-server.service) + start_unit(unit=redis-server.service)');
    expect(restartsSpent(attempts)).toEqual([]);
    expect((await lab.exec(['stat', '-c', '%U:%G %a', '/var/lib/redis/dump.rdb'])).stdout.trim()).toBe('redis:redis 660');
    expect((await lab.exec(['redis-cli', 'get', 'lab-key'])).stdout.trim()).toBe('kept');
  });

  it.skipIf(!POSTGRES)("a chmod 0755 of PostgreSQL's data directory (it refuses to start): the mode is put back, it accepts connections", async () => {
    await lab.exec(['chmod', '0755', '/var/lib/postgresql/15/main']);
    await lab.systemctl('restart', 'postgresql@15-main.service').catch(() => undefined);
    const task = await finished('postgresql', 90_000);
    const attempts = daemon.attempts(task.id);
    expect(task, JSON.stringify(attempts)).toMatchObject({ status: 'fixed' });
    expect(attempts.find((attempt) => attempt.outcome === 'success')!.plan_key).toMatch(
      /^restore_permissions\(unit=postgresql@15-main\.service\) \+ reset_failed\(unit=postgresql@15-main\.service\) \+ start_unit/,
    );
    expect((await lab.exec(['stat', '-c', '%a', '/var/lib/postgresql/15/main'])).stdout.trim()).toBe('700');
    expect((await lab.exec(['pg_isready', '-q'], { allowFailure: true })).code).toBe(0);
  });

  it('its working directory removed: 200/CHDIR escalates with no restart; once the directory is back the daemon starts it and resolves', async () => {
    await lab.exec(['rm', '-rf', '/srv/lab-wd']);
    await lab.exec(['kill', '-9', String(await lab.mainPid('lab-wd.service'))]);
    const task = await finished('wd');
    const attempts = daemon.attempts(task.id);
    expect(task.status, JSON.stringify(attempts)).toBe('escalated');
    expect(restartsSpent(attempts)).toEqual([]);
    const escalation = escalationOf(task);
    expect(escalation.reason.split('\n')[0]).toMatch(/the working directory \/srv\/lab-wd does not exist/);
    await lab.exec(['mkdir', '-p', '/srv/lab-wd']);
    await lab.waitFor(async () => escalationOf(task).status === 'auto_resolved', { what: 'the wd escalation resolved by the daemon', timeoutMs: 60_000 });
    expect(escalationOf(task).resolution).toMatch(/the directory \/srv\/lab-wd exists again/);
    expect((await lab.httpGet('http://127.0.0.1:18501/')).status).toBe(200);
  });

  it('a variable it was never given: escalated naming it, no restart spent', async () => {
    const task = await finished('novar');
    const attempts = daemon.attempts(task.id);
    expect(task.status, JSON.stringify(attempts)).toBe('escalated');
    expect(restartsSpent(attempts)).toEqual([]);
    expect(escalationOf(task).reason.split('\n')[0]).toBe(
      'lab-novar.service exits with status 1: the variable DATABASE_URL it needs is not set; nothing in its last-known-good state explains it',
    );
    expect(escalationOf(task).reason).toMatch(/first thing to run: systemctl show -p Environment,EnvironmentFiles lab-novar\.service/);
  });

  it('permission denied on its data with no last-known-good state to restore: escalated naming it, no restart spent', async () => {
    const task = await finished('ro');
    const attempts = daemon.attempts(task.id);
    expect(task.status, JSON.stringify(attempts)).toBe('escalated');
    expect(restartsSpent(attempts)).toEqual([]);
    expect(escalationOf(task).reason.split('\n')[0]).toMatch(
      /^lab-ro\.service exits with status 1: permission denied \(.*cannot write data file \/srv\/lab-ro\/data\.log: EACCES: permission denied.*\); nothing in its last-known-good state explains it$/,
    );
  });
});
