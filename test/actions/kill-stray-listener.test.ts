/**
 * kill_stray_listener against real processes and real sockets: a stray that exits on SIGTERM, one that ignores
 * it (SIGKILL after the grace period), and the processes it must never signal: a child of the orchestrator, the
 * main process of a managed service, a pid that does not hold the port, a port that is not the service's.
 * A stray here is a listener started with `setsid -f`, so its parent is gone and it descends from nothing of ours.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../../src/config/load.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { Executor, type ExecutionScope } from '../../src/actions/executor.js';
import { nodeFileSystem } from '../../src/adapters/host/node-file-system.js';
import { nodeProbes } from '../../src/adapters/host/node-probes.js';
import { freePort } from '../../src/adapters/host/free-port.js';
import { listenersOn } from '../../src/adapters/host/listeners.js';
import { ProcessCommandRunner } from '../../src/runtime/command-runner.js';
import { ConfigSnapshots } from '../../src/store/config-snapshots.js';
import { systemClock } from '../../src/runtime/clock.js';
import { PolicyRefusal } from '../../src/core/errors.js';
import type { ServiceAdapter, ServiceStatus } from '../../src/core/ports.js';
import { ownerOf } from '../../src/actions/stray-listener.js';
import { processGone, waitUntil } from '../support/processes.js';

const base = mkdtempSync(path.join(tmpdir(), 'orchestrator-stray-'));
const started: number[] = [];

afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** A node listener on the port; with `ignoreTerm` it shrugs off SIGTERM. Detached from us by `setsid -f`. */
async function stray(port: number, ignoreTerm = false): Promise<number> {
  const pidFile = path.join(base, `stray-${port}.pid`);
  rmSync(pidFile, { force: true });
  const script = `${ignoreTerm ? "process.on('SIGTERM', () => {});" : ''} require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); require('net').createServer().listen(${port}, '127.0.0.1');`;
  execFileSync('setsid', ['-f', process.execPath, '-e', script], { stdio: 'ignore' });
  const pid = await waitUntil('the stray to write its pid', async () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) || undefined : undefined));
  started.push(pid);
  await waitUntil('the stray to listen', async () => ((await listenersOn(port)).some((listener) => listener.pid === pid) ? true : undefined));
  return pid;
}

function configFor(port: number): CompiledConfig {
  return parseConfigText(`dataDir: ${base}/data\nservices:\n  - name: app\n    unit: app.service\n    checks:\n      - { type: tcp, host: 127.0.0.1, port: ${port} }\n`, 'stray');
}

/** An adapter whose only knowledge is which main pid each managed service has. */
function adapterWithMainPid(mainPid: number): ServiceAdapter {
  return {
    kind: 'systemd',
    capabilities: new Set(['signal']),
    async statusMany(names: readonly string[]) {
      return new Map(names.map((name) => [name, { name, state: 'running', mainPid } as unknown as ServiceStatus]));
    },
  } as unknown as ServiceAdapter;
}

function executor(config: CompiledConfig, mainPid = 0): Executor {
  return new Executor({
    adapter: adapterWithMainPid(mainPid),
    runner: new ProcessCommandRunner(),
    files: nodeFileSystem,
    probes: nodeProbes,
    config,
    snapshots: new ConfigSnapshots(config.dataDir),
    clock: systemClock,
  });
}

const scopeOf = (config: CompiledConfig): ExecutionScope => ({ service: config.services[0]!, dependencyUnits: [], runtimeDirectories: [], configTestFor: () => undefined });

describe('kill_stray_listener with real processes', () => {
  it('frees the port of a stray that exits on SIGTERM, found by port alone', async () => {
    const port = await freePort();
    const pid = await stray(port);
    const config = configFor(port);
    const result = await executor(config).execute({ type: 'kill_stray_listener', params: { port } }, scopeOf(config));
    expect(result.ok).toBe(true);
    expect(result.detail).toContain(`pid ${pid}`);
    expect(result.detail).toContain('exited on SIGTERM');
    expect(await listenersOn(port)).toEqual([]);
  });

  it('sends SIGKILL after the grace period to a stray that ignores SIGTERM', async () => {
    const port = await freePort();
    const pid = await stray(port, true);
    const config = configFor(port);
    const result = await executor(config).execute({ type: 'kill_stray_listener', params: { port, pid } }, scopeOf(config));
    expect(result).toMatchObject({ ok: true });
    expect(result.detail).toContain('was killed');
    await waitUntil('the stray to be gone', async () => (processGone(pid) ? true : undefined));
  }, 20_000);

  it('never signals a process that descends from the orchestrator', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${port}, '127.0.0.1')`], { stdio: 'ignore' });
    started.push(child.pid!);
    await waitUntil('our child to listen', async () => ((await listenersOn(port)).length > 0 ? true : undefined));
    const config = configFor(port);
    const result = await executor(config).execute({ type: 'kill_stray_listener', params: { port } }, scopeOf(config));
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/not signalled: .*descendant of pid \d+, the orchestrator/);
    expect(processGone(child.pid!)).toBe(false);
  });

  it('never signals the main process of a managed service, nor a pid that does not hold the port', async () => {
    const port = await freePort();
    const pid = await stray(port);
    const config = configFor(port);
    const managed = await executor(config, pid).execute({ type: 'kill_stray_listener', params: { port } }, scopeOf(config));
    expect(managed).toMatchObject({ ok: false });
    expect(managed.detail).toContain('main process of a managed service');
    const wrongPid = await executor(config).execute({ type: 'kill_stray_listener', params: { port, pid: pid + 100_000 } }, scopeOf(config));
    expect(wrongPid.detail).toContain(`pid ${pid + 100_000} does not listen on it`);
    expect(processGone(pid)).toBe(false);
  });

  it('refuses a port that is not a port of the service before looking', async () => {
    const port = await freePort();
    const config = configFor(port);
    await expect(executor(config).execute({ type: 'kill_stray_listener', params: { port: 22 } }, scopeOf(config))).rejects.toThrow(PolicyRefusal);
  });

  it('says a port with no listener is already free', async () => {
    const port = await freePort();
    const config = configFor(port);
    expect(await executor(config).execute({ type: 'kill_stray_listener', params: { port } }, scopeOf(config))).toMatchObject({ ok: true, detail: `port ${port} is already free` });
  });
});

describe('who owns a listener', () => {
  const owners = { managedMainPids: new Set([500]), selfPids: new Set([42, 41]) };
  const listener = (pid: number, unit?: string, ancestors: number[] = []) => ({ port: 80, pid, command: 'x', cmdline: 'x', address: '', unit, ancestors });
  it.each([
    [listener(1), /init process/],
    [listener(42), /orchestrator itself/],
    [listener(500), /main process of a managed service/],
    [listener(900, 'nginx.service'), /belongs to nginx.service/],
    [listener(901, 'session-3.scope', [500]), /descendant of pid 500, a managed service/],
    [listener(902, undefined, [77, 42]), /descendant of pid 42, the orchestrator/],
  ])('%o is owned', (candidate, reason) => {
    expect(ownerOf(candidate, owners)).toMatch(reason);
  });
  it('a process in a login session, started by no one we know, is a stray', () => {
    expect(ownerOf(listener(903, 'session-3.scope', [880]), owners)).toBeUndefined();
  });
});
