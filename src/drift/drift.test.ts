import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeDrift, environmentDiff, textDiff } from './drift.js';
import { diagnose } from './diagnosis.js';
import { hashValue, redactEnvironmentText, type ServiceState } from './service-state.js';
import { parseDpkgLog, recentPackageChanges } from './host-changes.js';

const state = (overrides: Partial<ServiceState> = {}): ServiceState => ({
  service: 'app',
  unit: 'app.service',
  takenAt: 1000,
  user: 'app',
  group: '',
  workingDirectory: '/srv/app',
  execPath: '/usr/local/bin/app',
  limits: { LimitNOFILE: '524288' },
  environment: [],
  files: [{ path: '/etc/systemd/system/app.service', role: 'unit', sha256: 'a', text: '[Service]\nExecStart=/usr/local/bin/app', mode: 0o644, uid: 0, gid: 0, modifiedAt: 500 }],
  paths: [{ path: '/var/lib/app', role: 'directory of the unit', kind: 'directory', uid: 105, gid: 105, mode: 0o750, owner: 'app:app', changedAt: 500 }],
  ...overrides,
});

describe('drift', () => {
  it('names an added drop-in, a lowered limit and a changed owner, with times', () => {
    const now = state({
      limits: { LimitNOFILE: '16' },
      files: [
        ...state().files,
        { path: '/etc/systemd/system/app.service.d/limits.conf', role: 'drop-in', sha256: 'b', text: '[Service]\nLimitNOFILE=16', mode: 0o644, uid: 0, gid: 0, modifiedAt: 2000 },
      ],
      paths: [{ ...state().paths[0]!, uid: 0, gid: 0, owner: 'root:root', changedAt: 3000 }],
    });
    const changes = computeDrift(state(), now);
    expect(changes.map((change) => change.summary)).toEqual([
      'drop-in /etc/systemd/system/app.service.d/limits.conf added',
      'LimitNOFILE= 524288 → 16',
      '/var/lib/app: owner app:app → root:root',
    ]);
    expect(changes[0]!.at).toBe(2000);
    expect(changes[0]!.lines).toContain('+ LimitNOFILE=16');
  });

  it('shows secrets by name only and diffs lines', () => {
    expect(environmentDiff('PORT=8080\nDB_PASSWORD=x\nMODE=a', 'PORT=9090\nDB_PASSWORD=y')).toEqual([
      'PORT: 8080 → 9090',
      'DB_PASSWORD: changed (secret, value not shown)',
      'removed MODE',
    ]);
    expect(redactEnvironmentText('API_TOKEN=abc\nPORT=1')).toBe(`API_TOKEN=${hashValue('abc')}\nPORT=1`);
    expect(textDiff('a\nb\nc', 'a\nc\nd')).toEqual(['- b', '+ d']);
  });
});

describe('diagnosis', () => {
  const unit = {
    name: 'app.service',
    state: 'failed',
    activeState: 'failed',
    subState: 'failed',
    result: 'exit-code',
    execMainStatus: 203,
    execMainCode: 'exited',
    unitFileState: 'enabled',
  };
  it('a missing program is not restarted and is named in the headline', () => {
    const diagnosis = diagnose({
      unit: 'app.service',
      evidence: {
        unit,
        logs: [],
        checks: [],
        drift: { knownGoodAt: 1000, changes: [], facts: ['the program /usr/local/bin/app (ExecStart=) does not exist'], packages: [], modified: [] },
      },
    });
    expect(diagnosis?.restartFutile).toBe(true);
    expect(diagnosis?.headline).toBe('app.service fails before its program runs (status 203/EXEC): the program /usr/local/bin/app (ExecStart=) does not exist');
    expect(diagnosis?.block).toEqual({ kind: 'program', path: '/usr/local/bin/app' });
    expect(diagnosis?.remedy).toBeUndefined();
  });

  it('permission denied with an owner change proposes restore_permissions, in phase 1 when it is the only change', () => {
    const changes = computeDrift(state(), state({ paths: [{ ...state().paths[0]!, uid: 0, gid: 0, owner: 'root:root', changedAt: 3000 }] }));
    const diagnosis = diagnose({
      unit: 'app.service',
      evidence: {
        unit: { ...unit, execMainStatus: 1 },
        logs: ['open /var/lib/app/data.db: permission denied'],
        checks: [],
        drift: { knownGoodAt: 1000, changes, facts: [], packages: [], modified: [] },
      },
    });
    expect(diagnosis?.restartFutile).toBe(true);
    expect(diagnosis?.remedy?.actions.map((action) => action.type)).toEqual(['restore_permissions', 'reset_failed', 'start_unit']);
    expect(diagnosis?.remedyInPhase1).toBe(true);
    expect(diagnosis?.headline).toContain('owner app:app → root:root');
  });

  it('a working directory that is gone blocks even a process killed by a signal: the block is the directory', () => {
    const diagnosis = diagnose({
      unit: 'app.service',
      evidence: {
        unit: { ...unit, result: 'signal', execMainCode: 'killed', execMainStatus: 9 },
        logs: [],
        checks: [],
        drift: { knownGoodAt: 1000, changes: [], facts: ['the working directory /srv/app does not exist'], packages: [], modified: [] },
      },
    });
    expect(diagnosis?.restartFutile).toBe(true);
    expect(diagnosis?.block).toEqual({ kind: 'path', path: '/srv/app' });
  });

  it('a variable named as missing in its last words, with nothing drifted: no restart, a human is asked', () => {
    const diagnosis = diagnose({
      unit: 'app.service',
      evidence: {
        unit: { ...unit, execMainStatus: 1 },
        logs: ['starting', 'fatal: DATABASE_URL is not set'],
        checks: [],
        drift: { knownGoodAt: null, changes: [], facts: [], packages: [], modified: [] },
      },
    });
    expect(diagnosis?.headline).toBe('app.service exits with status 1: the variable DATABASE_URL it needs is not set; nothing in its last-known-good state explains it');
    expect(diagnosis?.restartFutile).toBe(true);
    expect(diagnosis?.remedy).toBeUndefined();
  });

  it('a variable mentioned by a process that was killed is not a reason to withhold a restart', () => {
    const diagnosis = diagnose({
      unit: 'app.service',
      evidence: { unit: { ...unit, result: 'signal', execMainCode: 'killed', execMainStatus: 9 }, logs: ['warning: CACHE_DIR not set, using /tmp'], checks: [], drift: undefined },
    });
    expect(diagnosis?.restartFutile ?? false).toBe(false);
  });

  it('a start failure whose only change is the owner of its own file (no log says why): restore it in phase 1', () => {
    const changes = computeDrift(state(), state({ paths: [{ ...state().paths[0]!, uid: 0, gid: 0, owner: 'root:root', changedAt: 3000 }] }));
    const diagnosis = diagnose({
      unit: 'app.service',
      evidence: {
        unit: { ...unit, state: 'failed', execMainStatus: 1 },
        logs: ['app.service: Main process exited, code=exited, status=1/FAILURE'],
        checks: [],
        drift: { knownGoodAt: 1000, changes, facts: [], packages: [], modified: [] },
      },
    });
    expect(diagnosis?.remedy?.actions[0]?.type).toBe('restore_permissions');
    expect(diagnosis?.remedyInPhase1).toBe(true);
    // Another change on the host since then (a package upgrade): the owner is no longer the only suspect.
    const upgraded = diagnose({
      unit: 'app.service',
      evidence: {
        unit: { ...unit, state: 'failed', execMainStatus: 1 },
        logs: [],
        checks: [],
        drift: { knownGoodAt: 1000, changes, facts: [], packages: [{ at: 2000, action: 'upgrade', package: 'app' }], modified: [] },
      },
    });
    expect(upgraded?.remedyInPhase1).toBe(false);
    // Killed (kill -9) with its own file chowned since: the owner goes back before any start, a restart is not ruled out.
    const killed = diagnose({
      unit: 'app.service',
      evidence: {
        unit: { ...unit, state: 'failed', result: 'signal', execMainCode: 'killed', execMainStatus: 9 },
        logs: [],
        checks: [],
        drift: { knownGoodAt: 1000, changes, facts: [], packages: [], modified: [] },
      },
    });
    expect(killed).toMatchObject({ restartFutile: false, remedyInPhase1: true });
  });

  it('no space left names the path whose filesystem the cleanup may free', () => {
    const diagnosis = diagnose({
      unit: 'app.service',
      evidence: { unit: { ...unit, execMainStatus: 1 }, logs: ['fatal: cannot write data file /srv/full/data/app.dat: ENOSPC: no space left on device, write'], checks: [] },
    });
    expect(diagnosis?.fullPath).toBe('/srv/full/data/app.dat');
    expect(diagnosis?.restartFutile).toBe(true);
  });

  it('a process killed by a signal with nothing drifted is left to restarts', () => {
    expect(diagnose({ unit: 'app.service', evidence: { unit: { ...unit, execMainStatus: 9, execMainCode: 'killed', result: 'signal' }, logs: [], checks: [] } })).toBeUndefined();
  });
});

describe('host changes', () => {
  it('parses dpkg.log, skipping other kinds and malformed lines', () => {
    const changes = parseDpkgLog(
      [
        '2026-12-01 10:22:31 upgrade nginx-common:all 1.22.1-9 1.22.1-9+deb12u1',
        '2026-12-01 10:22:32 status installed nginx:amd64 1.22',
        'garbage',
        '2026-12-01 10:23:00 remove app:amd64 1.0 <none>',
      ].join('\n'),
    );
    expect(changes.map((change) => [change.action, change.package, change.from, change.to])).toEqual([
      ['upgrade', 'nginx-common', '1.22.1-9', '1.22.1-9+deb12u1'],
      ['remove', 'app', '1.0', undefined],
    ]);
  });

  it('reads only the tail of a large log and filters by time', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'dpkg-')), 'dpkg.log');
    writeFileSync(file, `${'2020-01-01 00:00:00 install old:amd64 <none> 1\n'.repeat(2000)}2026-12-01 10:00:00 install new:amd64 <none> 2\n`);
    const changes = await recentPackageChanges({ since: new Date(2026, 0, 1).getTime(), logPaths: [file], maxBytes: 4096 });
    expect(changes.map((change) => change.package)).toEqual(['new']);
  });
});
