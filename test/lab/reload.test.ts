/**
 * The installed service follows its configuration without a re-install (systemd lab): a cleanup directory the
 * edited config names becomes writable at the next restart (the daemon writes the drop-in and restarts itself
 * once), and `doctor` checks that from inside the unit's mount namespace, flagging what the daemon cannot write;
 * `systemctl reload` applies a valid config in place (a service added is watched and healed), keeps the old one on
 * an invalid config with every problem logged at error level, and refuses a secret variable the environment file
 * does not have until it does.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SystemdLab, TEST_OUTPUT_DIR } from './systemd-lab.js';
import { describeLab } from './describe-lab.js';
import { appUnit, CLI, HOST_CHECKS_OFF, LabDaemon } from './lab-daemon.js';

const UNIT = 'autonomous-orchestrator.service';
const ETC = '/run/ao-reload';
const CONFIG = `${ETC}/config.yaml`;
const DROP_IN = `/run/systemd/system/${UNIT}.d/50-config-paths.conf`;

interface LogLine {
  level: number;
  msg: string;
}

describeLab('the installed service follows its configuration: sandbox paths, reload, secrets (systemd lab)', () => {
  let lab: SystemdLab;
  let reader: LabDaemon;
  const base = path.join(TEST_OUTPUT_DIR, `reload-${Date.now()}`);
  const dataDir = path.join(base, 'data');
  const cleanupDir = path.join(base, 'cleanup');
  const lateDir = path.join(base, 'late');
  const cli = (...args: string[]) => lab.exec(['/usr/bin/node', CLI, ...args, '--data-dir', dataDir], { allowFailure: true, timeoutMs: 120_000 });
  const service = (name: string, port: number) =>
    `  - name: ${name}\n    unit: lab-${name}.service\n    checks:\n      - { type: http, url: "http://127.0.0.1:${port}/", timeout: 2s }\n`;
  const header = 'cycle: { interval: 5m, watchFailedUnits: false }\nweb: { enabled: false }\n';
  const onlyA = `${header}${HOST_CHECKS_OFF}\nservices:\n${service('a', 18421)}`;
  const withB = `${header}${HOST_CHECKS_OFF}\nservices:\n${service('a', 18421)}${service('b', 18422)}`;

  /** The daemon's JSON log lines in the journal, every run of it. */
  const journal = async (): Promise<LogLine[]> =>
    (await lab.exec(['journalctl', '-u', UNIT, '-o', 'cat', '--no-pager'])).stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
  /** Waits until a log line matching `pattern` appears after the first `after` lines, and returns the lines since. */
  const waitForLog = async (pattern: RegExp, after: number, what: string): Promise<LogLine[]> => {
    let lines: LogLine[] = [];
    await lab.waitFor(
      async () => {
        lines = (await journal()).slice(after);
        return lines.some((line) => pattern.test(line.msg));
      },
      { what, timeoutMs: 60_000, intervalMs: 300 },
    );
    return lines;
  };
  const reload = async () => {
    const result = await lab.exec(['systemctl', 'reload', UNIT], { allowFailure: true });
    expect(result.code, result.stderr).toBe(0);
  };

  beforeAll(async () => {
    lab = await SystemdLab.boot({ name: 'reload' });
    await lab.writeUnit('lab-a.service', appUnit('a', { PORT: '18421' }));
    await lab.writeUnit('lab-b.service', appUnit('b', { PORT: '18422' }));
    await lab.systemctl('start', 'lab-a.service', 'lab-b.service');
    await lab.writeFile(CONFIG, onlyA);
    mkdirSync(base, { recursive: true });
    reader = Object.assign(new LabDaemon(lab, 'reload-reader'), { dataDir }) as LabDaemon;
    const install = await cli('install', '--unit-dir', '/run/systemd/system', '--config-dir', ETC);
    expect(install.code, install.stderr).toBe(0);
    await lab.waitFor(async () => reader.query('tasks', 'SELECT 1 FROM cycles').length > 0, { what: 'first cycle of the service', timeoutMs: 30_000 });
  });

  afterAll(async () => {
    await lab?.stop();
  });

  it('installs an environment file (0600, root) that the unit loads, and the drop-in for the configuration paths', async () => {
    expect((await lab.exec(['stat', '-c', '%a %U', `${ETC}/env`])).stdout.trim()).toBe('600 root');
    expect(await lab.unitProperty(UNIT, 'EnvironmentFiles')).toContain(`${ETC}/env`);
    expect((await lab.exec(['cat', DROP_IN])).stdout).toContain('[Service]');
  });

  it('makes a cleanup directory named after the install writable at the next restart, and doctor checks it inside the sandbox', async () => {
    mkdirSync(cleanupDir, { recursive: true });
    const old = path.join(cleanupDir, 'old.log');
    const fresh = path.join(cleanupDir, 'fresh.log');
    writeFileSync(old, 'x'.repeat(4096));
    writeFileSync(fresh, 'y');
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    utimesSync(old, twoDaysAgo, twoDaysAgo);
    // The README's flow: edit the configuration, then restart. Every filesystem counts as full, so the cleanup runs.
    await lab.writeFile(
      CONFIG,
      `${header}host:\n  disk: { mounts: [/], maxUsedPercent: 1 }\n  inodes: { enabled: false }\n  memory: { enabled: false }\n  cleanup:\n` +
        `    - { path: ${cleanupDir}, olderThan: 1h }\n    - { path: ${lateDir}, olderThan: 1h }\nservices:\n${service('a', 18421)}`,
    );
    // The running daemon's sandbox does not have it yet: doctor sees that from inside, not from its own view.
    const before = await cli('doctor', '--config', CONFIG);
    expect(before.code, before.stdout).toBe(1);
    expect(before.stdout).toContain(
      `FAIL  sandbox ${cleanupDir}: ${cleanupDir} is not writable inside the sandbox of ${UNIT} (checked in its mount namespace): the unit does not grant it`,
    );

    const logged = (await journal()).length;
    const restart = await lab.exec(['systemctl', 'restart', UNIT], { allowFailure: true });
    expect(restart.code, restart.stderr).toBe(0);
    await lab.waitFor(async () => !existsSync(old), { what: `${old} cleaned by the restarted service`, timeoutMs: 90_000 });
    expect(existsSync(fresh)).toBe(true);
    const lines = (await journal()).slice(logged);
    expect(lines.some((line) => line.level === 40 && line.msg.includes(`does not let it write (${cleanupDir}, ${lateDir}): wrote ${DROP_IN}`))).toBe(true);
    expect((await lab.exec(['cat', DROP_IN])).stdout).toContain(`ReadWritePaths=-${cleanupDir} -${lateDir}`);
    expect(await lab.unitProperty(UNIT, 'ReadWritePaths')).toContain(cleanupDir);
    expect(await lab.unitProperty(UNIT, 'ActiveState')).toBe('active');
    // Restarted on request, not recovered from a failure.
    expect(await lab.unitProperty(UNIT, 'NRestarts')).toBe('0');
    expect(lines.filter((line) => line.level >= 50)).toEqual([]);

    const after = await cli('doctor', '--config', CONFIG);
    expect(after.code, after.stdout).toBe(0);
    expect(after.stdout).toMatch(/^ok +sandbox: \d+ path\(s\) the configuration needs are writable inside autonomous-orchestrator.service/m);
    expect(after.stdout).toMatch(new RegExp(`^warn +sandbox ${lateDir}: ${lateDir} does not exist`, 'm'));
    // Created after the daemon started: granted, but not writable until the next start. Doctor says so.
    mkdirSync(lateDir);
    const late = await cli('doctor', '--config', CONFIG);
    expect(late.code).toBe(1);
    expect(late.stdout).toContain(
      `FAIL  sandbox ${lateDir}: ${lateDir} is not writable inside the sandbox of ${UNIT} (checked in its mount namespace): the unit grants it, but it did not exist`,
    );
  });

  it('systemctl reload applies a valid configuration in place: a service added is watched and healed', async () => {
    const pid = await lab.mainPid(UNIT);
    const logged = (await journal()).length;
    await lab.writeFile(CONFIG, withB);
    await reload();
    await waitForLog(/^configuration reloaded: watching 2 service\(s\)/, logged, 'the reload applied');
    expect(await lab.mainPid(UNIT)).toBe(pid);
    // The cleanup paths left the configuration: the drop-in follows (for the next start), without a restart.
    expect((await lab.exec(['cat', DROP_IN])).stdout).not.toContain('ReadWritePaths');
    await lab.exec(['kill', '-9', String(await lab.mainPid('lab-b.service'))]);
    const task = await reader.waitForTask('b', (row) => row.status === 'fixed' || row.status === 'escalated', 'b fixed after the reload', 60_000);
    expect(task).toMatchObject({ status: 'fixed', fixed_by_phase: 1 });
  });

  it('keeps the configuration in use on an invalid one, logs every problem at error level, and goes on healing', async () => {
    const pid = await lab.mainPid(UNIT);
    const logged = (await journal()).length;
    await lab.writeFile(CONFIG, `cycle:\n  interval: -1m\nservices:\n  - name: a\n    unit: lab-a.service\n    checks:\n      - { type: tcp }\n`);
    await reload();
    const lines = await waitForLog(/^configuration not reloaded \(2 problem\(s\)\)/, logged, 'the reload refused');
    const errors = lines.filter((line) => line.level === 50).map((line) => line.msg);
    expect(errors).toEqual(
      expect.arrayContaining([
        `reload: ${CONFIG}:2:13  cycle.interval: a duration cannot be negative (got "-1m")`,
        `reload: ${CONFIG}:7:9  services[0].checks[0].port: required: the port to connect to`,
        'configuration not reloaded (2 problem(s)): the daemon keeps the configuration it has',
      ]),
    );
    expect(await lab.mainPid(UNIT)).toBe(pid);
    expect(await lab.unitProperty(UNIT, 'ActiveState')).toBe('active');
    // b is still watched: the configuration that has it stays in use.
    const fixedBefore = reader.tasks('b').filter((row) => row.status === 'fixed').length;
    await lab.exec(['kill', '-9', String(await lab.mainPid('lab-b.service'))]);
    await lab.waitFor(async () => reader.tasks('b').filter((row) => row.status === 'fixed').length === fixedBefore + 1, {
      what: 'b fixed again with the old configuration',
      timeoutMs: 60_000,
    });
  });

  it('refuses a secret variable the environment file does not set, says where it goes, and takes it once it is there', async () => {
    const logged = (await journal()).length;
    await lab.writeFile(CONFIG, `${withB}notify:\n  webhooks:\n    - { name: ops, url: "http://127.0.0.1:9/hook", secretEnv: LAB_RELOAD_HOOK_SECRET }\n`);
    await reload();
    const lines = await waitForLog(/^configuration not reloaded \(1 problem\(s\)\)/, logged, 'the reload refused for the secret');
    expect(
      lines.some(
        (line) =>
          line.level === 50 &&
          line.msg.includes('notify.webhooks[0].secretEnv: environment variable LAB_RELOAD_HOOK_SECRET is not set') &&
          line.msg.includes(`${ETC}/env (EnvironmentFile=)`),
      ),
    ).toBe(true);
    const doctor = await cli('doctor', '--config', CONFIG);
    expect(doctor.stdout).toMatch(
      /^FAIL +secret LAB_RELOAD_HOOK_SECRET: notify\.webhooks\[0\]\.secretEnv: LAB_RELOAD_HOOK_SECRET is not set in the environment of autonomous-orchestrator.service/m,
    );

    const environment = (await lab.exec(['cat', `${ETC}/env`])).stdout;
    await lab.writeFile(`${ETC}/env`, `${environment}LAB_RELOAD_HOOK_SECRET=lab-secret\n`, 0o600);
    const again = (await journal()).length;
    await reload();
    await waitForLog(/^configuration reloaded: watching 2 service\(s\)/, again, 'the reload applied with the secret');
    const fixed = await cli('doctor', '--config', CONFIG);
    expect(fixed.stdout).toMatch(/^ok +secrets: the 1 secret variable\(s\) the configuration names are set in the environment of autonomous-orchestrator.service/m);
    expect(readFileSync(path.join(dataDir, 'daemon.pid'), 'utf8').trim()).toBe(String(await lab.mainPid(UNIT)));
  });
  it('a reload whose configuration needs a path the sandbox lacks restarts the service once, cleanly, and then it can write it', async () => {
    const reloadedDir = path.join(base, 'reloaded');
    mkdirSync(reloadedDir, { recursive: true });
    const pid = await lab.mainPid(UNIT);
    const restarts = await lab.unitProperty(UNIT, 'NRestarts');
    const logged = (await journal()).length;
    await lab.writeFile(
      CONFIG,
      `${header}host:\n  disk: { enabled: false }\n  inodes: { enabled: false }\n  memory: { enabled: false }\n  cleanup:\n    - { path: ${reloadedDir}, olderThan: 1h }\n` +
        `services:\n${service('a', 18421)}${service('b', 18422)}notify:\n  webhooks:\n    - { name: ops, url: "http://127.0.0.1:9/hook", secretEnv: LAB_RELOAD_HOOK_SECRET }\n`,
    );
    await reload();
    await lab.waitFor(
      async () => {
        const state = await lab.unitState(UNIT);
        return state.activeState === 'active' && state.mainPid !== null && state.mainPid !== pid && reader.daemonPid() === state.mainPid;
      },
      { what: 'the service restarted for the reload', timeoutMs: 60_000 },
    );
    // Only the webhook (nothing listens on port 9) may fail; the sandbox has the new directory.
    const doctor = await cli('doctor', '--config', CONFIG);
    expect(doctor.stdout).toMatch(/^ok +sandbox: 2 path\(s\) the configuration needs are writable inside/m);
    expect(doctor.stdout.split('\n').filter((line) => line.startsWith('FAIL'))).toEqual(['FAIL  webhook ops (127.0.0.1:9): ECONNREFUSED']);
    // A restart systemd was asked for, not a crash it recovered from.
    expect(await lab.unitProperty(UNIT, 'NRestarts')).toBe(restarts);
    const lines = (await journal()).slice(logged);
    expect(lines.some((line) => line.msg.includes(`does not let it write (${reloadedDir})`))).toBe(true);
    expect(lines.filter((line) => line.level >= 50 && /restart|not applied/.test(line.msg))).toEqual([]);
  });
});
