/**
 * A hostile service in a real systemd. Its journal names a "stale lock file" behind a symbolic link planted in
 * its own RuntimeDirectory=: phase 2 (the default heuristic backend, no model) proposes removing it, and the
 * executor refuses, so the file at the link's target survives, byte for byte; the same fault through a real
 * directory is fixed (the positive control, so the refusal is the path policy and not a dead pathway). Another
 * service writes a journal line built to make a backtracking matcher run for ever against its configured
 * pattern (a+)+$: the daemon finishes its cycles, serves its dashboard and goes on healing.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SystemdLab } from '../lab/systemd-lab.js';
import { describeLab } from '../lab/describe-lab.js';
import { LabDaemon, HOST_CHECKS_OFF } from '../lab/lab-daemon.js';

/** A unit that fails while its lock file exists and says so, as postgres or a custom app would. */
function lockedUnit(lockFile: string, directory: string): string {
  return `[Unit]
Description=fails while ${lockFile} exists

[Service]
Type=simple
RuntimeDirectory=${directory}
RuntimeDirectoryPreserve=yes
ExecStart=/bin/sh -c 'if [ -e ${lockFile} ]; then echo "FATAL: lock file ${lockFile} exists"; exit 1; fi; exec sleep infinity'
Restart=no
`;
}

describeLab('hostile file paths (systemd lab)', () => {
  let lab: SystemdLab;
  let daemon: LabDaemon;
  const sha = async (file: string) => (await lab.exec(['sha256sum', file])).stdout.split(' ')[0];
  let victimSha: string | undefined;

  beforeAll(async () => {
    lab = await SystemdLab.boot({ name: 'hostile-files' });
    // The link's target: a directory outside every scope, with a file a root daemon must never delete.
    await lab.exec(['mkdir', '-p', '/run/victim', '/run/hx/real']);
    await lab.writeFile('/run/victim/important.db', 'precious data\n');
    await lab.exec(['ln', '-s', '/run/victim', '/run/hx/link']);
    await lab.writeUnit('lab-hx.service', lockedUnit('/run/hx/link/important.db', 'hx'));
    await lab.exec(['mkdir', '-p', '/run/ok/real']);
    await lab.writeFile('/run/ok/real/important.db', 'stale\n');
    await lab.writeUnit('lab-ok.service', lockedUnit('/run/ok/real/important.db', 'ok'));
    await lab.writeUnit(
      'lab-noisy.service',
      `[Unit]\nDescription=writes a line that is catastrophic for a backtracking (a+)+$\n\n[Service]\nType=simple\nExecStart=/bin/sh -c 'line=$$(head -c 30000 /dev/zero | tr "\\\\000" a)!; while :; do echo "$$line"; sleep 1; done'\n`,
    );
    await lab.systemctl('daemon-reload');
    await lab.systemctl('start', 'lab-noisy.service');
    await lab.waitFor(async () => (await lab.exec(['journalctl', '-u', 'lab-noisy.service', '-o', 'cat', '-n', '1'])).stdout.includes('aaaa!'), {
      what: 'the hostile line in the journal',
      timeoutMs: 15_000,
    });
    victimSha = await sha('/run/victim/important.db');
    daemon = new LabDaemon(lab, 'hostile-files');
    daemon.writeConfig(`
cycle: { interval: 5m, watchInterval: 1s, watchFailedUnits: false }
verification: { settle: 1s }
phases: { quickFix: { restartAttempts: 1 }, consensus: { enabled: false } }
${HOST_CHECKS_OFF}
services:
  - { name: hx, unit: lab-hx.service }
  - { name: ok, unit: lab-ok.service }
  - name: noisy
    unit: lab-noisy.service
    checks:
      - { type: log, pattern: "(a+)+$", window: 5m }
`);
    await daemon.startAndWait();
  });

  afterAll(async () => {
    await daemon?.kill('SIGTERM').catch(() => undefined);
    await lab?.stop();
  });

  it('matches a catastrophic pattern against the hostile journal line in linear time: the cycle ends, the dashboard answers', async () => {
    // startAndWait already saw the first full cycle, which ran the log check over the hostile lines.
    const checks = daemon.query<{ n: number }>('tasks', 'SELECT COUNT(*) AS n FROM cycles')[0]!.n;
    expect(checks).toBeGreaterThan(0);
    expect(daemon.tasks('noisy')).toHaveLength(0);
    expect((await lab.httpGet('http://127.0.0.1:8888/health')).status).toBe(200);
  });

  it('refuses a lock file behind a symlink in the runtime directory and leaves its target intact', async () => {
    await lab.systemctl('start', 'lab-hx.service').catch(() => undefined);
    const task = await daemon.waitForTask('hx', (row) => row.status === 'escalated', 'hx escalated', 90_000);
    const attempts = daemon.attempts(task.id);
    const removal = attempts.find((attempt) => attempt.plan_key.includes('remove_stale_file'));
    expect(removal, `phase 2 proposed the removal (attempts: ${attempts.map((attempt) => attempt.plan_key).join('; ')})`).toBeDefined();
    expect(removal!.outcome).toBe('refused');
    expect(removal!.detail).toMatch(/\/run\/hx\/link is a symbolic link/);
    expect((await lab.exec(['cat', '/run/victim/important.db'])).stdout).toBe('precious data\n');
    expect(await sha('/run/victim/important.db')).toBe(victimSha);
    expect((await lab.exec(['readlink', '/run/hx/link'])).stdout.trim()).toBe('/run/victim');
  });

  it('removes the same stale lock file in a real directory of the runtime tree (positive control)', async () => {
    await lab.systemctl('start', 'lab-ok.service').catch(() => undefined);
    const task = await daemon.waitForTask('ok', (row) => row.status === 'fixed', 'ok fixed', 90_000);
    const fix = daemon.attempts(task.id).find((attempt) => attempt.outcome === 'success');
    expect(fix!.plan_key).toMatch(/remove_stale_file\(path=\/run\/ok\/real\/important.db\)/);
    expect((await lab.exec(['test', '-e', '/run/ok/real/important.db'], { allowFailure: true })).code).not.toBe(0);
    expect((await lab.unitState('lab-ok.service')).activeState).toBe('active');
  });
});
