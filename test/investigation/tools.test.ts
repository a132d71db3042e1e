/**
 * The investigation tools against real things: listening sockets of this process, of a child and of an orphan
 * (a stray), real files with chmod and links, real config test programs through the real command runner, and a
 * real supervised process whose failed start is read back through the process adapter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../../src/config/load.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import type { ServiceAdapter, ServiceDefinition } from '../../src/core/ports.js';
import { ProcessCommandRunner } from '../../src/runtime/command-runner.js';
import { nodeProbes } from '../../src/adapters/host/node-probes.js';
import { listenersOn } from '../../src/adapters/host/listeners.js';
import { freePort } from '../../src/adapters/host/free-port.js';
import { ProcessAdapter } from '../../src/adapters/process/process-adapter.js';
import { MemoryAdapter } from '../support/memory-adapter.js';
import { processGone, waitUntil } from '../support/processes.js';
import type { ExecutionScope } from '../../src/actions/scope.js';
import { listenersTool, readableAddress } from '../../src/investigation/listeners.js';
import { pathInfoTool, symbolic } from '../../src/investigation/path-info.js';
import { configTestTool } from '../../src/investigation/config-test.js';
import { unitPropertiesTool } from '../../src/investigation/unit-properties.js';
import { journalTool } from '../../src/investigation/journal.js';
import { dependencyStateTool } from '../../src/investigation/dependency-state.js';
import { MAX_RESULT_BYTES, type InvestigationTool, type ToolDependencies } from '../../src/investigation/tool.js';

const NODE = process.execPath;
const runner = new ProcessCommandRunner();
const signal = new AbortController().signal;
let directory: string;
let port: number;
let ownServer: Server;

function compile(extra = ''): CompiledConfig {
  return parseConfigText(
    `dataDir: ${directory}/data\nservices:\n  - name: web\n    unit: web.service\n    dependsOn: [db.service]\n    checks: [{ type: tcp, port: ${port} }]\n${extra}`,
    'tools-test',
  );
}

function dependencies(config: CompiledConfig, adapter: ServiceAdapter = new MemoryAdapter()): ToolDependencies {
  const service = config.services.find((candidate) => candidate.name === 'web')!;
  const scope: ExecutionScope = { service, dependencyUnits: ['db.service'], runtimeDirectories: [], configTestFor: () => undefined };
  return { service, scope, adapter, runner, probes: nodeProbes, config };
}

const call = (tool: InvestigationTool, input: unknown, deps: ToolDependencies) => tool.invoke(input, deps, signal);

beforeAll(async () => {
  directory = mkdtempSync(path.join(tmpdir(), 'investigation-tools-'));
  ownServer = createServer();
  await new Promise<void>((resolve) => ownServer.listen(0, '127.0.0.1', resolve));
  port = (ownServer.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((resolve) => ownServer.close(resolve));
  rmSync(directory, { recursive: true, force: true });
});

describe('listeners', () => {
  it("names this process's own listener as the orchestrator's, with its address and a typed fact", async () => {
    const result = await call(listenersTool, { port }, dependencies(compile()));
    expect(result.text).toContain(`port ${port} (a port of web): 1 listener(s)`);
    expect(result.text).toContain(`pid ${process.pid}`);
    expect(result.text).toContain(`127.0.0.1:${port}`);
    expect(result.text).toMatch(/owned: pid \d+ is the orchestrator itself/);
    expect(result.facts).toEqual([expect.objectContaining({ type: 'listener', port, pid: process.pid, owner: expect.stringMatching(/orchestrator itself/) })]);
  });

  it("says a child's listener descends from the orchestrator, and an orphan's that nobody owns it (a stray)", async () => {
    const childPort = await freePort();
    const child = spawn(NODE, ['-e', `require('net').createServer().listen(${childPort}, '127.0.0.1'); setInterval(() => {}, 1000)`], { stdio: 'ignore' });
    const strayPort = await freePort();
    // sh starts the listener in the background and exits: the listener is an orphan that init (or a subreaper) adopts.
    const starter = spawn(
      '/bin/sh',
      ['-c', `"${NODE}" -e "require('net').createServer().listen(${strayPort}, '127.0.0.1'); setInterval(() => {}, 1000)" >/dev/null 2>&1 </dev/null & echo $!`],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    let output = '';
    starter.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise((resolve) => starter.once('exit', resolve));
    const strayPid = Number(output.trim());
    try {
      await waitUntil('both listeners', async () => ((await listenersOn(childPort)).length > 0 && (await listenersOn(strayPort)).length > 0 ? true : undefined));
      const deps = dependencies(compile());
      const descendant = await call(listenersTool, { port: childPort }, deps);
      expect(descendant.text).toContain(`pid ${child.pid}`);
      expect(descendant.text).toMatch(/owned: pid \d+ is a descendant of pid \d+, the orchestrator/);
      expect(descendant.text).not.toContain('a port of web');

      const stray = await call(listenersTool, { port: strayPort }, deps);
      expect(stray.facts).toEqual([expect.objectContaining({ type: 'listener', port: strayPort, pid: strayPid })]);
      // Where the tests themselves run inside a systemd service, the orphan stays in its cgroup and belongs to it.
      const inService = /\.service\s*$/m.test(readFileSync(`/proc/${strayPid}/cgroup`, 'utf8'));
      if (!inService) {
        expect(stray.text).toMatch(new RegExp(`pid ${strayPid} node .* stray: no unit, managed service or the orchestrator owns it`));
        expect((stray.facts[0] as { owner?: string }).owner).toBeUndefined();
      }
    } finally {
      child.kill('SIGKILL');
      if (strayPid > 1) process.kill(strayPid, 'SIGKILL');
      await waitUntil('the listeners to end', async () => (processGone(strayPid) && child.exitCode !== null) || child.signalCode !== null || undefined);
    }
  });

  it('answers none for a free port, refuses a port out of range and fails plainly without a listeners probe', async () => {
    const free = await freePort();
    const deps = dependencies(compile());
    expect((await call(listenersTool, { port: free }, deps)).text).toBe(`port ${free}: none (nothing listens on it)`);
    const bad = await call(listenersTool, { port: 70000 }, deps);
    expect(bad.refused).toBe(true);
    expect(bad.text).toMatch(/invalid input for listeners: port/);
    expect((await call(listenersTool, { port: '80; rm -rf /' }, deps)).refused).toBe(true);
    const without = await call(listenersTool, { port }, { ...deps, probes: { ...nodeProbes, listeners: undefined } });
    expect(without).toMatchObject({ failed: true, text: 'listeners failed: listeners cannot be probed on this host' });
  });

  it('reads /proc addresses as IPv4 and IPv6', () => {
    expect(readableAddress('0100007F')).toBe('127.0.0.1');
    expect(readableAddress('00000000000000000000000000000000')).toBe('[::]');
    expect(readableAddress('00000000000000000000000001000000')).toBe('[::1]');
  });
});

describe('path_info', () => {
  it('gives kind, owner, group and mode of a file, a directory and its parents, and never its content', async () => {
    const data = path.join(directory, 'var-lib-app');
    mkdirSync(data);
    chmodSync(data, 0o750);
    const file = path.join(data, 'db');
    writeFileSync(file, 'TOPSECRET-CONTENT\n');
    chmodSync(file, 0o640);
    const result = await call(pathInfoTool, { path: file }, dependencies(compile()));
    const me = userInfo().username;
    expect(result.text).toContain(`${file}: file, owner ${me}, group `);
    expect(result.text).toContain('mode 0640 (-rw-r-----), 18 bytes');
    expect(result.text).toContain(`${data} ${me}:`);
    expect(result.text).toMatch(/parents: \/ \S+:\S+ 0755/);
    expect(result.text).toContain(' 0750');
    expect(result.text).not.toContain('TOPSECRET');
    expect(result.facts).toEqual([expect.objectContaining({ type: 'path', path: file, kind: 'file', owner: me, mode: 0o640 })]);
  });

  it('describes a link without following it, a missing path, and modes with special bits', async () => {
    const link = path.join(directory, 'link-to-shadow');
    symlinkSync('/etc/shadow', link);
    const deps = dependencies(compile());
    const linked = await call(pathInfoTool, { path: link }, deps);
    expect(linked.text).toContain(`${link}: link -> /etc/shadow (not followed)`);
    expect(linked.facts[0]).toMatchObject({ kind: 'link', linkTarget: '/etc/shadow' });
    const missing = await call(pathInfoTool, { path: path.join(directory, 'nope', 'file') }, deps);
    expect(missing.text).toContain('does not exist (ENOENT)');
    expect(missing.text).toContain(`${path.join(directory, 'nope')} missing`);
    expect(symbolic(0o4755, 'file')).toBe('-rwsr-xr-x');
    expect(symbolic(0o1777, 'directory')).toBe('drwxrwxrwt');
    expect(symbolic(0o2750, 'directory')).toBe('drwxr-s---');
  });

  it('refuses relative paths, ".." and control characters', async () => {
    const deps = dependencies(compile());
    for (const bad of ['etc/passwd', '/var/lib/../../etc/shadow', '/tmp/a\nb', '', 'x'.repeat(5000)]) {
      const result = await call(pathInfoTool, { path: bad }, deps);
      expect(result.refused, bad).toBe(true);
      expect(result.text).toMatch(/^invalid input for path_info/);
    }
    expect((await call(pathInfoTool, { path: '/etc', extra: 1 }, deps)).refused).toBe(true);
  });
});

describe('config_test', () => {
  it('runs the configured argv through the command runner and reports how it ended', async () => {
    const passing = await call(configTestTool, {}, dependencies(compile('    configTest: [/bin/true]\n')));
    expect(passing.text).toMatch(/^config test `\/bin\/true` passed \(exit status 0\)/);
    const failing = await call(configTestTool, {}, dependencies(compile('    configTest: [/bin/false]\n')));
    expect(failing.text).toMatch(/^config test `\/bin\/false` FAILED \(exit status 1\)/);
    const printing = await call(
      configTestTool,
      {},
      dependencies(compile(`    configTest: [/bin/sh, -c, "echo 'unknown directive \\"lisen\\" in /etc/web.conf:3' >&2; exit 1"]\n`)),
    );
    expect(printing.text).toContain('FAILED (exit status 1)');
    expect(printing.text).toContain('stderr:\nunknown directive "lisen" in /etc/web.conf:3');
    expect(printing.text).toContain('stdout: (empty)');
  });

  it('says when there is no config test, and when it cannot start', async () => {
    expect((await call(configTestTool, {}, dependencies(compile()))).text).toBe('web: no config test is configured');
    const missing = await call(configTestTool, {}, dependencies(compile(`    configTest: [${directory}/no-such-program]\n`)));
    expect(missing.text).toMatch(/could not start: .*ENOENT/);
    expect((await call(configTestTool, { argv: ['/bin/rm', '-rf', '/'] }, dependencies(compile()))).refused).toBe(true);
  });

  it('keeps the tail of a long output within the cap', async () => {
    const noisy = await call(configTestTool, {}, dependencies(compile(`    configTest: [/bin/sh, -c, "seq 1 5000 >&2; echo LAST-LINE >&2; exit 1"]\n`)));
    expect(Buffer.byteLength(noisy.text)).toBeLessThanOrEqual(MAX_RESULT_BYTES);
    expect(noisy.text).toContain('LAST-LINE');
  });
});

/** A memory adapter that also says how its units are defined, like systemd's. */
class DefiningAdapter extends MemoryAdapter {
  readonly asked: string[] = [];
  async definition(name: string): Promise<ServiceDefinition> {
    this.asked.push(name);
    return {
      unitFiles: [`/lib/systemd/system/${name}`, `/etc/systemd/system/${name}.d/override.conf`],
      environmentFiles: ['/etc/default/web'],
      environment: ['MODE=production', 'DB_PASSWORD=hunter2-secret'],
      user: 'www-data',
      group: 'www-data',
      workingDirectory: '/srv/web',
      execPath: '/usr/sbin/web',
      limits: { LimitNOFILE: '1024' },
      directories: ['/run/web'],
    };
  }
}

describe('unit_properties and dependency_state', () => {
  it('shows state, unit file, drop-ins, user and limits of the own unit, with secret values hashed', async () => {
    const adapter = new DefiningAdapter();
    adapter.states.set('web.service', 'failed');
    const result = await call(unitPropertiesTool, { unit: 'web.service' }, dependencies(compile(), adapter));
    expect(result.text).toContain('web.service: failed (load loaded, active failed');
    expect(result.text).toContain('unit file: /lib/systemd/system/web.service');
    expect(result.text).toContain('drop-ins: /etc/systemd/system/web.service.d/override.conf');
    expect(result.text).toContain('user: www-data; group: www-data');
    expect(result.text).toContain('limits: LimitNOFILE=1024');
    expect(result.text).toContain('MODE=production');
    expect(result.text).not.toContain('hunter2');
  });

  it('answers for a dependency, and refuses any other unit without asking the adapter', async () => {
    const adapter = new DefiningAdapter();
    const deps = dependencies(compile(), adapter);
    expect((await call(unitPropertiesTool, { unit: 'db.service' }, deps)).text).toContain('unit file: /lib/systemd/system/db.service');
    const refused = await call(unitPropertiesTool, { unit: 'sshd.service' }, deps);
    expect(refused).toMatchObject({ refused: true, text: 'unit_properties refused: sshd.service is neither web.service nor one of its dependencies (db.service)' });
    expect((await call(unitPropertiesTool, { unit: '--all' }, deps)).refused).toBe(true);
    expect(adapter.asked).toEqual(['db.service']);
  });

  it('says so when the adapter cannot tell how a unit is defined', async () => {
    const adapter = new MemoryAdapter({ capabilities: ['signal'] });
    expect((await call(unitPropertiesTool, { unit: 'web.service' }, dependencies(compile(), adapter))).text).toContain('the memory adapter cannot tell how web.service is defined');
  });

  it('dependency_state answers for a dependency only', async () => {
    const adapter = new MemoryAdapter();
    adapter.states.set('db.service', 'stopped');
    const deps = dependencies(compile(), adapter);
    const state = await call(dependencyStateTool, { unit: 'db.service' }, deps);
    expect(state.text).toContain('db.service: stopped (load loaded, active inactive');
    expect(state.text).toContain('db.service is not a managed service');
    expect((await call(dependencyStateTool, { unit: 'web.service' }, deps)).text).toBe(
      'dependency_state refused: web.service is not a dependency of web.service (its dependencies: db.service)',
    );
  });
});

const JOURNAL = [
  '2026-12-02T08:00:00+0000 host systemd[1]: Starting web.service - Web...',
  '2026-12-02T08:00:00+0000 host web[100]: listening on :8080',
  '2026-12-02T08:00:00+0000 host systemd[1]: Started web.service - Web.',
  '2026-12-02T08:05:00+0000 host systemd[1]: Starting web.service - Web...',
  '2026-12-02T08:05:00+0000 host web[200]: open /var/lib/web/db: permission denied',
  '2026-12-02T08:05:00+0000 host systemd[1]: web.service: Main process exited, code=exited, status=1/FAILURE',
  "2026-12-02T08:05:00+0000 host systemd[1]: web.service: Failed with result 'exit-code'.",
  '2026-12-02T08:05:01+0000 host systemd[1]: Starting web.service - Web...',
  '2026-12-02T08:05:01+0000 host web[300]: bind 0.0.0.0:8080: address already in use',
  '2026-12-02T08:05:01+0000 host systemd[1]: web.service: Main process exited, code=exited, status=98/n/a',
  '2026-12-02T08:05:01+0000 host systemd[1]: Failed to start web.service - Web.',
];

describe('journal', () => {
  it('groups the lines into start attempts and says what each failed attempt printed', async () => {
    const adapter = new MemoryAdapter();
    adapter.logLines = ['2026-12-02T07:59:00+0000 host web[90]: old line', ...JOURNAL];
    const result = await call(journalTool, { unit: 'web.service' }, dependencies(compile(), adapter));
    expect(result.text.split('\n')[0]).toBe('web.service: last 12 line(s), 3 start attempt(s) in view, 2 failed');
    expect(result.text).toContain('== before the first start in view ==\n2026-12-02T07:59:00+0000 host web[90]: old line');
    expect(result.text).toContain('== start attempt 1: started ==');
    expect(result.text).toMatch(/== start attempt 2: failed: exit-code; main process exited status 1\/FAILURE ==\n.*\n.*permission denied/);
    expect(result.text).toContain('== start attempt 3: failed: main process exited status 98/n/a ==');
    expect(result.text.indexOf('attempt 2')).toBeLessThan(result.text.indexOf('address already in use'));
  });

  it('caps lines, keeps the newest when cut, and refuses a unit out of scope', async () => {
    const adapter = new MemoryAdapter();
    adapter.logLines = Array.from({ length: 300 }, (_, index) => `line ${index} ${'x'.repeat(100)}`);
    const deps = dependencies(compile(), adapter);
    const result = await call(journalTool, { unit: 'web.service', lines: 200 }, deps);
    expect(Buffer.byteLength(result.text)).toBeLessThanOrEqual(MAX_RESULT_BYTES);
    expect(result.text).toContain('line 299 ');
    expect(result.text).not.toContain('line 100 ');
    expect(result.text).toMatch(/no start attempt recognised/);
    expect((await call(journalTool, { unit: 'web.service', lines: 5000 }, deps)).refused).toBe(true);
    expect((await call(journalTool, { unit: 'cron.service' }, deps)).text).toMatch(/^journal refused: cron.service is neither web.service nor/);
  });

  it("reads a real supervised process's failed start through the process adapter", async () => {
    const config = parseConfigText(
      `services:\n  - name: web\n    process: ${JSON.stringify({ argv: ['/bin/sh', '-c', 'echo cannot open /etc/web.conf: Permission denied >&2; exit 3'] })}\n`,
      'journal-test',
    );
    const adapter = new ProcessAdapter({ services: config.services, logDirectory: path.join(directory, 'process-logs') });
    try {
      await adapter.start('web');
      await waitUntil('the failed start', async () => ((await adapter.statusMany(['web'])).get('web')?.state === 'failed' ? true : undefined));
      // Its output is captured as it arrives, which may be just after the exit is seen.
      await waitUntil('the captured output', async () => ((await adapter.logs('web', { lines: 10 })).some((line) => line.includes('cannot open')) ? true : undefined));
      const service = config.services[0]!;
      const deps: ToolDependencies = {
        service,
        scope: { service, dependencyUnits: [], runtimeDirectories: [], configTestFor: () => undefined },
        adapter,
        runner,
        probes: nodeProbes,
        config,
      };
      const result = await call(journalTool, { unit: 'web' }, deps);
      expect(result.text).toMatch(/^web: last \d+ line\(s\), no start attempt recognised/);
      expect(result.text).toContain('err: cannot open /etc/web.conf: Permission denied');
      expect((await call(unitPropertiesTool, { unit: 'web' }, deps)).text).toMatch(/web: failed .*\n.*status 3[\s\S]*the process adapter cannot tell how web is defined/);
    } finally {
      await adapter.close();
    }
  });
});
