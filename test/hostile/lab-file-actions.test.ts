/**
 * A hostile service in a real systemd: its journal names a "stale lock file" behind a symbolic link planted in
 * its own RuntimeDirectory=. Phase 2 (the default heuristic backend, no model) proposes removing it, and the
 * executor refuses: the file at the link's target survives, byte for byte. The same fault through a real
 * directory is fixed (the positive control, so the refusal is the path policy and not a dead pathway).
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
    await lab.systemctl('daemon-reload');
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
`);
    await daemon.startAndWait();
  });

  afterAll(async () => {
    await daemon?.kill('SIGTERM').catch(() => undefined);
    await lab?.stop();
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
