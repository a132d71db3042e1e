/**
 * Production deployment in a real systemd: `orchestrator install` writes and starts the hardened unit, the
 * daemon heals a fault while running as that service, survives kill -9 of itself (systemd restarts it and it
 * resumes), `doctor` is happy, and `uninstall` leaves no unit behind. Also measures `systemd-analyze security`.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { SystemdLab, TEST_OUTPUT_DIR } from './systemd-lab.js';
import { describeLab } from './describe-lab.js';
import { appUnit, CLI, LabDaemon, HOST_CHECKS_OFF } from './lab-daemon.js';

const UNIT = 'autonomous-orchestrator.service';

describeLab('deployment as a hardened systemd service (systemd lab)', () => {
  let lab: SystemdLab;
  let reader: LabDaemon;
  const base = path.join(TEST_OUTPUT_DIR, `deploy-${Date.now()}`);
  const dataDir = path.join(base, 'data');
  const cli = (...args: string[]) => lab.exec(['/usr/bin/node', CLI, ...args, '--data-dir', dataDir], { allowFailure: true, timeoutMs: 120_000 });

  beforeAll(async () => {
    lab = await SystemdLab.boot({ name: 'deploy' });
    await lab.writeUnit('lab-app.service', appUnit('app', { PORT: '18401' }));
    await lab.systemctl('start', 'lab-app.service');
    await lab.writeFile(
      '/run/ao-etc/config.yaml',
      `cycle: { interval: 5m, watchFailedUnits: false }\n${HOST_CHECKS_OFF}\nweb: { enabled: false }\nservices:\n  - name: app\n    unit: lab-app.service\n    checks:\n      - { type: http, url: "http://127.0.0.1:18401/", timeout: 2s }\n`,
    );
    mkdirSync(base, { recursive: true });
    // Reads the installed daemon's databases from the test process.
    reader = Object.assign(new LabDaemon(lab, 'deploy-reader'), { dataDir }) as LabDaemon;
  });

  afterAll(async () => {
    await lab?.stop();
  });

  it('installs with --dry-run changing nothing, then for real: enabled, started, ready', async () => {
    const dry = await cli('install', '--dry-run', '--unit-dir', '/run/systemd/system', '--config-dir', '/run/ao-etc');
    expect(dry.stdout).toMatch(/write the unit \/run\/systemd\/system\/autonomous-orchestrator.service/);
    expect((await lab.exec(['test', '-e', `/run/systemd/system/${UNIT}`], { allowFailure: true })).code).toBe(1);
    const install = await cli('install', '--unit-dir', '/run/systemd/system', '--config-dir', '/run/ao-etc');
    expect(install.code, install.stderr).toBe(0);
    expect((await lab.exec(['systemctl', 'is-active', UNIT], { allowFailure: true })).stdout.trim()).toBe('active');
    expect((await lab.exec(['systemctl', 'is-enabled', UNIT], { allowFailure: true })).stdout.trim()).toBe('enabled');
    expect(await lab.unitProperty(UNIT, 'Type')).toBe('notify');
    expect(await lab.unitProperty(UNIT, 'MemoryMax')).toBe(String(256 * 1024 * 1024));
    const unitFile = (await lab.exec(['cat', `/run/systemd/system/${UNIT}`])).stdout;
    expect(unitFile).toContain(`ReadWritePaths=${dataDir} /run -/var/log/journal`);
    expect(unitFile).toContain('ProtectSystem=strict');
  });

  it('heals a fault while running as the installed service', async () => {
    await lab.waitFor(async () => reader.query('tasks', 'SELECT 1 FROM cycles').length > 0, { what: 'first cycle of the service', timeoutMs: 30_000 });
    await lab.exec(['kill', '-9', String(await lab.mainPid('lab-app.service'))]);
    const task = await reader.waitForTask('app', (row) => row.status === 'fixed' || row.status === 'escalated', 'app fixed by the service', 60_000);
    expect(task).toMatchObject({ status: 'fixed', fixed_by_phase: 1 });
    // systemctl status shows a live summary, not the status it had when it became ready.
    await lab.waitFor(async () => /^\d+ services, \d+ being fixed, \d+ escalated, (last cycle .* ago|no cycle yet)/.test(await lab.unitProperty(UNIT, 'StatusText')), {
      what: 'a live Status=',
      timeoutMs: 60_000,
    });
    expect(await lab.unitProperty(UNIT, 'StatusText')).not.toMatch(/^watching/);
    // journald has each line as a native entry with its priority (what -p warning filters on) and fields of its
    // own, still under the unit; a normal start logs no error.
    const journal = async (...filter: string[]) =>
      (await lab.exec(['journalctl', '-u', UNIT, '-o', 'json', '--no-pager', ...filter])).stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, string | undefined>)
        .filter((entry) => typeof entry.MESSAGE === 'string' && entry.MESSAGE.startsWith('{'));
    const entries = await journal();
    expect(entries.length).toBeGreaterThan(3);
    const syslog: Record<number, string> = { 20: '7', 30: '6', 40: '4', 50: '3', 60: '2' };
    for (const entry of entries) {
      const level = (JSON.parse(entry.MESSAGE!) as { level: number }).level;
      expect(entry._TRANSPORT, entry.MESSAGE).toBe('journal');
      expect(entry.SYSLOG_IDENTIFIER).toBe('autonomous-orchestrator');
      expect(entry.PRIORITY, entry.MESSAGE).toBe(syslog[level]);
      expect(level, entry.MESSAGE).toBeLessThan(50);
    }
    // journalctl filters by the task's own fields: the service, the task, its phase and the action taken.
    const forApp = await journal('SERVICE=app');
    expect(forApp.length).toBeGreaterThan(0);
    expect(forApp.every((entry) => (JSON.parse(entry.MESSAGE!) as { service?: string }).service === 'app')).toBe(true);
    const forTask = await journal(`TASK=${task.id}`);
    expect(forTask.map((entry) => JSON.parse(entry.MESSAGE!).msg as string).join('\n')).toMatch(/task fixed/);
    const acting = forTask.find((entry) => entry.ACTION !== undefined);
    expect(acting).toMatchObject({ SERVICE: 'app', TASK: task.id, PHASE: '1', ACTION: expect.stringContaining('restart_unit') });
    // -p warning shows warnings and errors only.
    for (const entry of await journal('-p', 'warning')) expect(Number(entry.PRIORITY)).toBeLessThanOrEqual(4);
  });

  it('survives kill -9 of itself: systemd restarts it and it resumes healing', async () => {
    const before = await lab.mainPid(UNIT);
    await lab.exec(['kill', '-9', String(before)]);
    await lab.waitFor(
      async () => {
        const state = await lab.unitState(UNIT);
        return state.activeState === 'active' && state.mainPid !== null && state.mainPid !== before;
      },
      { what: 'the daemon restarted by systemd', timeoutMs: 60_000 },
    );
    expect(Number(await lab.unitProperty(UNIT, 'NRestarts'))).toBeGreaterThanOrEqual(1);
    await lab.exec(['kill', '-9', String(await lab.mainPid('lab-app.service'))]);
    await lab.waitFor(async () => reader.tasks('app').filter((row) => row.status === 'fixed').length === 2, { what: 'second fix after the restart', timeoutMs: 60_000 });
    const journal = await lab.exec(['journalctl', '-u', UNIT, '--no-pager', '-o', 'cat']);
    expect(journal.stdout).toMatch(/"msg":"orchestrator started"/);
  });

  it('passes doctor, backs up while running, and refuses to restore while running', async () => {
    const doctor = await cli('doctor', '--config', '/run/ao-etc/config.yaml');
    expect(doctor.code, doctor.stdout).toBe(0);
    expect(doctor.stdout).toMatch(/ok +systemd unit: autonomous-orchestrator.service is active/);
    const backup = await cli('backup', '--json', '--config', '/run/ao-etc/config.yaml');
    const backupPath = JSON.parse(backup.stdout).path as string;
    const restore = await cli('restore', backupPath, '--config', '/run/ao-etc/config.yaml');
    expect(restore.code).toBe(2);
    expect(restore.stderr).toMatch(/refuses while the daemon runs/);
  });

  it('scores its hardening with systemd-analyze security', async () => {
    const analyze = await lab.exec(['systemd-analyze', 'security', '--no-pager', UNIT], { allowFailure: true });
    writeFileSync(path.join(base, 'systemd-analyze-security.txt'), analyze.stdout);
    const score = /Overall exposure level for .*: ([\d.]+) (\w+)/.exec(analyze.stdout);
    expect(score, analyze.stdout.slice(-500)).not.toBeNull();
    console.log(`systemd-analyze security: ${score![1]} ${score![2]}`);
    expect(Number(score![1])).toBeLessThan(5);
  });

  it('uninstalls and leaves no unit behind', async () => {
    const result = await cli('uninstall', '--unit-dir', '/run/systemd/system', '--config-dir', '/run/ao-etc');
    expect(result.code, result.stderr).toBe(0);
    expect((await lab.exec(['test', '-e', `/run/systemd/system/${UNIT}`], { allowFailure: true })).code).toBe(1);
    expect(await lab.unitProperty(UNIT, 'LoadState')).toBe('not-found');
    expect((await lab.exec(['test', '-d', dataDir], { allowFailure: true })).code).toBe(0);
  });
});
