import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isGranted, ownServiceUnit, parseGrantedPaths, reconcileSandbox, renderConfigPathsDropIn, type UnitSandbox } from './sandbox-paths.js';
import type { CommandRunner } from '../core/ports.js';
import { silentLogger } from '../core/logger.js';

const work = mkdtempSync(path.join(tmpdir(), 'orchestrator-sandbox-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function runner(calls: string[][]): CommandRunner {
  return {
    run: async (argv) => {
      calls.push([...argv]);
      return { argv, exitCode: 0, signal: null, stdout: '', stderr: '', timedOut: false, truncated: false, durationMs: 1 };
    },
  };
}

const configWith = (cleanup: string[]) =>
  ({ source: '/etc/ao/config.yaml', services: [], host: { cleanup: cleanup.map((entry) => ({ path: entry, olderThanMs: 60_000 })) } }) as never;

describe('sandbox paths', () => {
  it('writes unit words systemd reads back: %% for specifiers, quotes for blanks, no empty ReadWritePaths= (it would reset the list)', () => {
    expect(renderConfigPathsDropIn(['/srv/a', '/srv/with space', '/srv/100%'], 'c.yaml')).toContain('ReadWritePaths=-/srv/a "-/srv/with space" -/srv/100%%\n');
    expect(renderConfigPathsDropIn([], 'c.yaml')).not.toContain('ReadWritePaths');
    expect(parseGrantedPaths('/var/lib/ao /run -/var/log/journal "-/srv/with space"')).toEqual(['/var/lib/ao', '/run', '/var/log/journal', '/srv/with space']);
    expect(isGranted('/run/nginx', ['/run'])).toBe(true);
    expect(isGranted('/runx', ['/run'])).toBe(false);
  });

  it('knows its own unit from the cgroup, only when systemd started it', () => {
    const cgroup = () => '0::/system.slice/autonomous-orchestrator.service\n';
    expect(ownServiceUnit({ INVOCATION_ID: 'x' }, cgroup)).toBe('autonomous-orchestrator.service');
    expect(ownServiceUnit({}, cgroup)).toBeUndefined();
    expect(ownServiceUnit({ INVOCATION_ID: 'x' }, () => '0::/user.slice/session-1.scope\n')).toBeUndefined();
  });

  it('rewrites the drop-in and restarts once for a path the unit does not grant; the guard stops a second restart', async () => {
    const fragmentPath = path.join(work, 'autonomous-orchestrator.service');
    const sandbox: UnitSandbox = {
      unit: 'autonomous-orchestrator.service',
      fragmentPath,
      protectSystem: 'strict',
      granted: ['/var/lib/ao', '/run'],
      mainPid: 1,
      activeState: 'active',
    };
    const calls: string[][] = [];
    const options = { sandbox, runner: runner(calls), logger: silentLogger, dataDir: work, now: 1_000_000 };
    expect(await reconcileSandbox({ ...options, config: configWith(['/srv/new']) })).toBe(true);
    expect(readFileSync(path.join(`${fragmentPath}.d`, '50-config-paths.conf'), 'utf8')).toContain('ReadWritePaths=-/srv/new\n');
    expect(calls).toEqual([['systemctl', 'daemon-reload']]);
    // Started again, the unit still does not grant it: no second restart within the guard's time.
    expect(await reconcileSandbox({ ...options, config: configWith(['/srv/new']), now: 1_060_000 })).toBe(false);
    expect(calls).toHaveLength(1);
    // Granted now: nothing to do; a path in /run is granted by the unit itself.
    expect(await reconcileSandbox({ ...options, sandbox: { ...sandbox, granted: [...sandbox.granted, '/srv/new'] }, config: configWith(['/srv/new']) })).toBe(false);
    expect(await reconcileSandbox({ ...options, config: configWith(['/run/app']) })).toBe(false);
    // An unsandboxed unit needs none of this.
    writeFileSync(path.join(`${fragmentPath}.d`, '50-config-paths.conf'), 'x');
    expect(await reconcileSandbox({ ...options, sandbox: { ...sandbox, protectSystem: 'no' }, config: configWith(['/srv/other']) })).toBe(false);
    expect(readFileSync(path.join(`${fragmentPath}.d`, '50-config-paths.conf'), 'utf8')).toBe('x');
  });
});
