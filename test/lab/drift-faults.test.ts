/**
 * Faults that follow a change, in a real systemd, each one an operator would recognise from an incident: a
 * drop-in that reset Environment= and lost a variable, a drop-in that lowered LimitNOFILE, a `chown -R` of the
 * service's directory, a port taken by a process someone left running, a binary an upgrade removed. For each the
 * daemon asks what changed since the service was last known good, aims its fix at that cause (restore, not
 * restart), or escalates with the cause as the headline and no restart spent. Outcomes are read from the stores
 * and from the service itself.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SystemdLab } from './systemd-lab.js';
import { describeLab } from './describe-lab.js';
import { appUnit, HTTP_APP, LabDaemon, restartsSpent } from './lab-daemon.js';

const DROP_INS = '/run/systemd/system';
/** Exits 0 when something accepts a connection on 127.0.0.1:<argv port>. */
const CONNECTS = "require('net').connect(Number(process.argv[1]), '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(1))";

describeLab('faults that follow a change: drift, cause-aimed fixes, no futile restarts (systemd lab)', () => {
  let lab: SystemdLab;
  let daemon: LabDaemon;

  const answers = async (port: number) => (await lab.httpGet(`http://127.0.0.1:${port}/`)).status === 200;

  beforeAll(async () => {
    lab = await SystemdLab.boot({ name: 'drift-faults' });
    await lab.writeUnit('lab-env.service', appUnit('needs API_URL', { PORT: '18401', API_URL: 'http://127.0.0.1:18499/', REQUIRE_ENV: 'API_URL' }));
    await lab.writeUnit('lab-fds.service', appUnit('opens many files', { PORT: '18402', OPEN_FILES: '300' }, 'LimitNOFILE=4096'));
    await lab.exec(['mkdir', '-p', '/srv/lab-perm']);
    await lab.exec(['chown', 'nobody:nogroup', '/srv/lab-perm']);
    await lab.exec(['chmod', '0750', '/srv/lab-perm']);
    await lab.writeUnit(
      'lab-perm.service',
      appUnit('writes its data', { PORT: '18403', DATA_FILE: '/srv/lab-perm/data.log' }, 'User=nobody\nGroup=nogroup\nWorkingDirectory=/srv/lab-perm'),
    );
    await lab.writeUnit('lab-port.service', appUnit('needs its port', { PORT: '18404' }));
    await lab.exec(['mkdir', '-p', '/opt/lab-bin']);
    await lab.exec(['cp', HTTP_APP, '/opt/lab-bin/lab-app']);
    await lab.exec(['chmod', '0755', '/opt/lab-bin/lab-app']);
    await lab.writeUnit('lab-bin.service', appUnit('its own binary', { PORT: '18405' }).replace(`ExecStart=/usr/bin/node ${HTTP_APP}`, 'ExecStart=/opt/lab-bin/lab-app'));
    // An environment file with a secret in it (its value is never stored, only a hash), and a unit with its own user.
    await lab.writeFile('/etc/default/lab-envfile', 'API_URL=http://127.0.0.1:18499/\nAPI_TOKEN=s3cr3t-token-value\n', 0o640);
    await lab.writeUnit(
      'lab-envfile.service',
      appUnit('reads an environment file', { PORT: '18407', REQUIRE_ENV: 'API_URL,API_TOKEN' }, 'EnvironmentFile=/etc/default/lab-envfile'),
    );
    await lab.writeUnit('lab-user.service', appUnit('runs as nobody', { PORT: '18408' }, 'User=nobody'));
    // A small filesystem of its own for the app's data, with an allow-listed cache beside it.
    await lab.exec(['mkdir', '-p', '/srv/lab-full']);
    await lab.exec(['mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', '/srv/lab-full']);
    await lab.exec(['mkdir', '-p', '/srv/lab-full/cache', '/srv/lab-full/data']);
    await lab.writeUnit('lab-full.service', appUnit('writes its data at start', { PORT: '18406', DATA_FILE: '/srv/lab-full/data/app.dat', DATA_BYTES: '100000' }));
    await lab.systemctl(
      'start',
      'lab-env.service',
      'lab-fds.service',
      'lab-perm.service',
      'lab-port.service',
      'lab-bin.service',
      'lab-full.service',
      'lab-envfile.service',
      'lab-user.service',
    );
    daemon = new LabDaemon(lab, 'drift-faults');
    daemon.writeConfig(`
cycle: { interval: 3s, watchInterval: 1s, watchFailedUnits: false }
verification: { settle: 1s }
phases: { quickFix: { backoff: 500ms } }
safety: { budget: { actions: 6, window: 15m } }
host: { disk: { enabled: false }, inodes: { enabled: false }, memory: { enabled: false }, cleanup: [{ path: /srv/lab-full/cache, olderThan: 1h }] }
services:
  - { name: env, unit: lab-env.service, checks: [{ type: http, url: "http://127.0.0.1:18401/", timeout: 2s }] }
  - { name: fds, unit: lab-fds.service, checks: [{ type: http, url: "http://127.0.0.1:18402/", timeout: 2s }] }
  - { name: perm, unit: lab-perm.service, checks: [{ type: http, url: "http://127.0.0.1:18403/", timeout: 2s }] }
  - { name: port, unit: lab-port.service, checks: [{ type: http, url: "http://127.0.0.1:18404/", timeout: 2s }] }
  - { name: bin, unit: lab-bin.service, checks: [{ type: http, url: "http://127.0.0.1:18405/", timeout: 2s }] }
  - { name: full, unit: lab-full.service, checks: [{ type: http, url: "http://127.0.0.1:18406/", timeout: 2s }] }
  - { name: envfile, unit: lab-envfile.service, checks: [{ type: http, url: "http://127.0.0.1:18407/", timeout: 2s }] }
  - { name: user, unit: lab-user.service, checks: [{ type: http, url: "http://127.0.0.1:18408/", timeout: 2s }] }
`);
    await daemon.startAndWait();
    for (const service of ['env', 'fds', 'perm', 'port', 'bin', 'full', 'envfile', 'user']) await daemon.knownGood(service);
  });

  afterAll(async () => {
    await daemon?.kill('SIGTERM').catch(() => undefined);
    await lab?.exec(['umount', '-l', '/srv/lab-full']).catch(() => undefined);
    await lab?.exec(['rm', '-rf', '/srv/lab-perm', '/opt/lab-bin', '/srv/lab-full', '/etc/default/lab-envfile']).catch(() => undefined);
    await lab?.stop();
  });

  it('a drop-in that resets Environment= loses API_URL: the definition is restored (the drop-in quarantined), not restarted', async () => {
    await lab.writeFile(`${DROP_INS}/lab-env.service.d/50-tuning.conf`, '[Service]\n# "tidy up" the environment\nEnvironment=\nEnvironment=PORT=18401 REQUIRE_ENV=API_URL\n');
    await lab.systemctl('daemon-reload');
    await lab.systemctl('restart', 'lab-env.service');
    const task = await daemon.waitForTask('env', (row) => ['fixed', 'escalated'].includes(row.status), 'env task finished', 60_000);
    const attempts = daemon.attempts(task.id);
    expect(task, JSON.stringify(attempts)).toMatchObject({ status: 'fixed', fixed_by_phase: 1 });
    expect(attempts[0]).toMatchObject({
      plan_key: 'restore_unit_definition(unit=lab-env.service) + reset_failed(unit=lab-env.service) + start_unit(unit=lab-env.service)',
      outcome: 'success',
    });
    expect(attempts[0]!.detail).toMatch(/moved the drop-in \/run\/systemd\/system\/lab-env\.service\.d\/50-tuning\.conf added since/);
    expect(restartsSpent(attempts)).toEqual([]);
    expect((await lab.exec(['test', '-e', `${DROP_INS}/lab-env.service.d/50-tuning.conf`], { allowFailure: true })).code).not.toBe(0);
    expect(await answers(18401)).toBe(true);
    const evidence = JSON.parse(daemon.query<{ evidence: string }>('tasks', 'SELECT evidence FROM tasks WHERE id = ?', task.id)[0]!.evidence) as {
      drift?: { changes: Array<{ summary: string }> };
    };
    expect(evidence.drift?.changes.map((change) => change.summary).join('\n')).toMatch(/50-tuning\.conf/);
    const view = await daemon.cli(['task', task.id]);
    expect(view.stdout).toMatch(/What changed since it was last known good/);
    expect(view.stdout).toMatch(/50-tuning\.conf/);
  });

  it('a drop-in that lowers LimitNOFILE: "too many open files" is traced to it and the definition restored', async () => {
    await lab.writeFile(`${DROP_INS}/lab-fds.service.d/limits.conf`, '[Service]\nLimitNOFILE=128\n');
    await lab.systemctl('daemon-reload');
    await lab.systemctl('restart', 'lab-fds.service');
    const task = await daemon.waitForTask('fds', (row) => ['fixed', 'escalated'].includes(row.status), 'fds task finished', 60_000);
    const attempts = daemon.attempts(task.id);
    expect(task, JSON.stringify(attempts)).toMatchObject({ status: 'fixed', fixed_by_phase: 1 });
    expect(attempts[0]!.plan_key).toBe('restore_unit_definition(unit=lab-fds.service) + reset_failed(unit=lab-fds.service) + start_unit(unit=lab-fds.service)');
    expect(restartsSpent(attempts)).toEqual([]);
    expect(await lab.unitProperty('lab-fds.service', 'LimitNOFILE')).toBe('4096');
    expect(await answers(18402)).toBe(true);
  });

  it('a chown of the service directory: owner and mode are put back, then it starts', async () => {
    await lab.exec(['chown', 'root:root', '/srv/lab-perm']);
    await lab.exec(['chmod', '0700', '/srv/lab-perm']);
    await lab.systemctl('restart', 'lab-perm.service');
    const task = await daemon.waitForTask('perm', (row) => ['fixed', 'escalated'].includes(row.status), 'perm task finished', 60_000);
    const attempts = daemon.attempts(task.id);
    expect(task, JSON.stringify(attempts)).toMatchObject({ status: 'fixed', fixed_by_phase: 1 });
    expect(attempts[0]!.plan_key).toBe('restore_permissions(unit=lab-perm.service) + reset_failed(unit=lab-perm.service) + start_unit(unit=lab-perm.service)');
    expect(attempts[0]!.detail).toMatch(/\/srv\/lab-perm root:root 0700 → nobody:nogroup 0750/);
    expect(restartsSpent(attempts)).toEqual([]);
    expect((await lab.exec(['stat', '-c', '%U:%G %a', '/srv/lab-perm'])).stdout.trim()).toBe('nobody:nogroup 750');
    expect(await answers(18403)).toBe(true);
  });

  it('a port held by a process someone left running: that process is stopped (SIGTERM), then the service starts', async () => {
    // During a maintenance pause someone starts a debug server on the service's port and forgets it.
    expect((await daemon.cli(['pause', '--reason', 'maintenance'])).code).toBe(0);
    await lab.systemctl('stop', 'lab-port.service');
    const stray = lab.spawn(['/usr/bin/node', '-e', "require('net').createServer().listen(18404); setInterval(() => {}, 1000)"]);
    await lab.waitFor(async () => (await lab.exec(['/usr/bin/node', '-e', CONNECTS, '18404'], { allowFailure: true })).code === 0, {
      what: 'the stray to listen',
      timeoutMs: 10_000,
    });
    await lab.systemctl('start', 'lab-port.service');
    await lab.waitFor(async () => (await lab.unitState('lab-port.service')).activeState === 'failed', { what: 'lab-port to fail on its port', timeoutMs: 10_000 });
    expect((await daemon.cli(['resume'])).code).toBe(0);
    const task = await daemon.waitForTask('port', (row) => ['fixed', 'escalated'].includes(row.status), 'port task finished', 60_000);
    const attempts = daemon.attempts(task.id);
    expect(task, JSON.stringify(attempts)).toMatchObject({ status: 'fixed', fixed_by_phase: 1 });
    expect(attempts[0]!.plan_key).toMatch(/^kill_stray_listener\(pid=\d+,port=18404\) \+ reset_failed\(unit=lab-port\.service\) \+ start_unit\(unit=lab-port\.service\)$/);
    expect(attempts[0]!.detail).toMatch(/port 18404 freed: pid \d+ \(.*node.*\) exited on SIGTERM/);
    expect(restartsSpent(attempts)).toEqual([]);
    await lab.waitFor(async () => stray.exitCode !== null || stray.signalCode !== null, { what: 'the stray to be gone', timeoutMs: 10_000 });
    expect(await answers(18404)).toBe(true);
  });

  it('a binary an upgrade removed: escalated with the cause as headline, no restart spent; it finishes by itself once the binary is back', async () => {
    await lab.exec(['mv', '/opt/lab-bin/lab-app', '/opt/lab-bin/lab-app.dpkg-old']);
    await lab.exec(['kill', '-9', String(await lab.mainPid('lab-bin.service'))]);
    const task = await daemon.waitForTask('bin', (row) => ['fixed', 'escalated'].includes(row.status), 'bin task finished', 90_000);
    const attempts = daemon.attempts(task.id);
    expect(task.status, JSON.stringify(attempts)).toBe('escalated');
    expect(attempts.filter((attempt) => attempt.acted === 1)).toEqual([]);
    const [escalation] = daemon.query<{ id: string; reason: string; status: string }>('escalations', 'SELECT * FROM escalations WHERE task_id = ?', task.id);
    const headline = escalation!.reason.split('\n')[0]!;
    expect(headline).toMatch(/^lab-bin\.service .*the program \/opt\/lab-bin\/lab-app \(ExecStart=\) does not exist/);
    expect(escalation!.reason).not.toMatch(/^action budget/);
    expect(escalation!.reason).toMatch(/first thing to run: ls -l \/opt\/lab-bin\/lab-app/);
    // The operator puts the binary back; the daemon sees the block clear, starts, verifies and resolves.
    await lab.exec(['mv', '/opt/lab-bin/lab-app.dpkg-old', '/opt/lab-bin/lab-app']);
    await lab.waitFor(async () => daemon.query<{ status: string }>('escalations', 'SELECT status FROM escalations WHERE id = ?', escalation!.id)[0]!.status === 'auto_resolved', {
      what: 'the escalation resolved once the binary is back',
      timeoutMs: 60_000,
    });
    expect(await answers(18405)).toBe(true);
    const after = daemon.attempts(task.id).filter((attempt) => attempt.acted === 1);
    expect(after.at(-1)).toMatchObject({ phase: 1, outcome: 'success' });
    expect(after.at(-1)!.plan_key).toMatch(/^(re)?start_unit\(unit=lab-bin\.service\)$/);
    expect(daemon.query<{ resolution: string }>('escalations', 'SELECT resolution FROM escalations WHERE id = ?', escalation!.id)[0]!.resolution).toMatch(
      /^auto-resolved: the orchestrator finished the job: the program \/opt\/lab-bin\/lab-app is back; /,
    );
    expect(daemon.tasks('bin').at(-1)).toMatchObject({ status: 'fixed' });
  });

  /** Fills the cache with `count` files of 100 kB, `hoursOld` old. */
  const fillCache = async (prefix: string, count: number, hoursOld: number) => {
    for (let index = 0; index < count; index++) {
      const file = `/srv/lab-full/cache/${prefix}-${index}`;
      await lab.exec(['dd', 'if=/dev/zero', `of=${file}`, 'bs=100k', 'count=1', 'status=none'], { allowFailure: true });
      if (hoursOld > 0) await lab.exec(['touch', '-d', `${hoursOld} hours ago`, file]);
    }
  };
  const cacheFiles = async () => (await lab.exec(['ls', '/srv/lab-full/cache'])).stdout.split('\n').filter(Boolean).sort();

  it('its filesystem full of old cache files: the allow-listed cache is cleaned (the configured 1 h), then it starts', async () => {
    // With its data file (100 kB a start) the 1 MiB filesystem is then full: its next start cannot write.
    await fillCache('old', 8, 3);
    await fillCache('fresh', 1, 0);
    await lab.systemctl('restart', 'lab-full.service');
    const task = await daemon.waitForTask('full', (row) => ['fixed', 'escalated'].includes(row.status), 'full task finished', 60_000);
    const attempts = daemon.attempts(task.id);
    expect(task, JSON.stringify(attempts)).toMatchObject({ status: 'fixed', fixed_by_phase: 1 });
    expect(attempts[0]!.plan_key).toBe('clean_directory(path=/srv/lab-full/cache) + start_unit(unit=lab-full.service)');
    expect(attempts[0]!.detail).toMatch(/removed 8 file\(s\), 1 MiB, older than 60 min \(the configured age\) from \/srv\/lab-full\/cache/);
    expect(restartsSpent(attempts)).toEqual([]);
    expect(await cacheFiles()).toEqual(['fresh-0']);
    expect(await answers(18406)).toBe(true);
  });

  it('full again, but of files younger than the configured age: the clean frees nothing, is not credited, and a human is told why', async () => {
    await lab.exec(['rm', '-f', '/srv/lab-full/data/app.dat']);
    await fillCache('recent', 10, 0);
    const before = await cacheFiles();
    await lab.systemctl('restart', 'lab-full.service');
    const task = await daemon.waitForTask(
      'full',
      (row) => row.status === 'escalated' || (row.status === 'fixed' && daemon.tasks('full').indexOf(row) > 0),
      'second full task finished',
      90_000,
    );
    const attempts = daemon.attempts(task.id);
    expect(task.status, JSON.stringify(attempts)).toBe('escalated');
    const clean = attempts.find((attempt) => attempt.plan_key.startsWith('clean_directory'))!;
    expect(clean).toMatchObject({ outcome: 'failure' });
    expect(clean.detail).toMatch(/nothing older than 60 min \(the configured age\) to remove from \/srv\/lab-full\/cache: no space freed/);
    expect(restartsSpent(attempts)).toEqual([]);
    expect(await cacheFiles()).toEqual(before);
    const [escalation] = daemon.query<{ reason: string }>('escalations', 'SELECT reason FROM escalations WHERE task_id = ?', task.id);
    expect(escalation!.reason.split('\n')[0]).toMatch(/^lab-full\.service exits with status 1: no space left on its filesystem \(.*ENOSPC/);
  });

  it('an environment file edited by hand loses API_URL: it is written back with its secret intact, which no record ever held', async () => {
    await lab.writeFile('/etc/default/lab-envfile', '# cleaned up\nAPI_TOKEN=s3cr3t-token-value\n', 0o640);
    await lab.systemctl('restart', 'lab-envfile.service');
    const task = await daemon.waitForTask('envfile', (row) => ['fixed', 'escalated'].includes(row.status), 'envfile task finished', 60_000);
    const attempts = daemon.attempts(task.id);
    expect(task, JSON.stringify(attempts)).toMatchObject({ status: 'fixed', fixed_by_phase: 1 });
    expect(attempts[0]!.plan_key).toBe('restore_unit_definition(unit=lab-envfile.service) + reset_failed(unit=lab-envfile.service) + start_unit(unit=lab-envfile.service)');
    expect(attempts[0]!.detail).toMatch(/restored \/etc\/default\/lab-envfile/);
    expect(restartsSpent(attempts)).toEqual([]);
    expect((await lab.exec(['cat', '/etc/default/lab-envfile'])).stdout).toBe('API_URL=http://127.0.0.1:18499/\nAPI_TOKEN=s3cr3t-token-value\n');
    expect(await answers(18407)).toBe(true);
    // The secret is in no database, no evidence and no escalation: only its hash.
    const stored = daemon
      .query<{ state: string }>('tasks', `SELECT state FROM service_states WHERE service = 'envfile'`)
      .map((row) => row.state)
      .join('\n');
    const evidence = daemon.query<{ evidence: string }>('tasks', 'SELECT evidence FROM tasks WHERE id = ?', task.id)[0]!.evidence;
    expect(stored).toMatch(/API_TOKEN=sha256:[0-9a-f]{16}/);
    expect(`${stored}${evidence}`).not.toContain('s3cr3t-token-value');
  });

  it('a drop-in that names a user this host does not have (217/USER): the definition is restored, it runs as before', async () => {
    await lab.writeFile(`${DROP_INS}/lab-user.service.d/50-user.conf`, '[Service]\nUser=lab-svc-gone\n');
    await lab.systemctl('daemon-reload');
    await lab.systemctl('restart', 'lab-user.service').catch(() => undefined);
    const task = await daemon.waitForTask('user', (row) => ['fixed', 'escalated'].includes(row.status), 'user task finished', 60_000);
    const attempts = daemon.attempts(task.id);
    expect(task, JSON.stringify(attempts)).toMatchObject({ status: 'fixed', fixed_by_phase: 1 });
    expect(task.reason).toMatch(/User= "?nobody"? → "?lab-svc-gone"?|50-user\.conf/);
    expect(attempts[0]!.plan_key).toBe('restore_unit_definition(unit=lab-user.service) + reset_failed(unit=lab-user.service) + start_unit(unit=lab-user.service)');
    expect(restartsSpent(attempts)).toEqual([]);
    expect(await lab.unitProperty('lab-user.service', 'User')).toBe('nobody');
    expect(await answers(18408)).toBe(true);
  });
});
