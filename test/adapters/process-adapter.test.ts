/**
 * The process adapter against real child processes (no root needed): the conformance suite every adapter passes,
 * then what is its own: exit codes and signals in systemd's words, pid-file services, process groups, the stop
 * timeout, the minimal environment, log capture and tails, and that close() leaves nothing behind.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../../src/config/load.js';
import { ProcessAdapter } from '../../src/adapters/process/process-adapter.js';
import type { ServiceStatus } from '../../src/core/ports.js';
import { describeAdapterConformance } from './conformance.js';
import { deadPid, processGone, sleeper, waitUntil } from '../support/processes.js';

const NODE = process.execPath;
const IS_ROOT = process.getuid?.() === 0;

/** A YAML services list of process services: name → the process block (JSON is YAML). */
function processConfig(services: Record<string, Record<string, unknown>>): string {
  return `services:\n${Object.entries(services)
    .map(([name, block]) => `  - name: ${name}\n    process: ${JSON.stringify(block)}\n`)
    .join('')}`;
}

function adapterFor(directory: string, services: Record<string, Record<string, unknown>>, extra: Partial<ConstructorParameters<typeof ProcessAdapter>[0]> = {}): ProcessAdapter {
  const config = parseConfigText(processConfig(services), 'process-adapter-test');
  return new ProcessAdapter({ services: config.services, logDirectory: path.join(directory, 'logs'), ...extra });
}

const marker = `conformance-${process.pid}`;

describeAdapterConformance('process adapter conformance', async () => {
  const directory = mkdtempSync(path.join(tmpdir(), 'orchestrator-process-'));
  const pidFile = path.join(directory, 'gone.pid');
  writeFileSync(pidFile, `${await deadPid()}\n`);
  const adapter = adapterFor(directory, {
    ticker: { argv: [NODE, '-e', `process.on('SIGUSR1', () => console.log('${marker} usr1')); setInterval(() => {}, 1000)`], stopTimeout: '2s' },
    gone: { pidFile },
    absent: { argv: [path.join(directory, 'no-such-program')] },
  });
  return {
    adapter,
    service: 'ticker',
    killMain: async (pid) => void process.kill(pid, 'SIGKILL'),
    printLogLine: async (pid) => {
      process.kill(pid, 'SIGUSR1');
      return `${marker} usr1`;
    },
    missingService: 'absent',
    stalePidService: 'gone',
    lacking: { action: { type: 'reset_failed', params: { unit: 'ticker' } }, capability: 'reset-failed' },
    cleanup: async () => {
      await adapter.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
});

describe('the process adapter', () => {
  let directory: string;
  let adapter: ProcessAdapter | undefined;
  const status = async (name: string): Promise<ServiceStatus> => (await adapter!.statusMany([name])).get(name)!;
  const reach = (name: string, state: ServiceStatus['state']) => waitUntil(`${name} ${state}`, async () => ((await status(name)).state === state ? status(name) : undefined));

  const setup = (services: Record<string, Record<string, unknown>>, extra: Partial<ConstructorParameters<typeof ProcessAdapter>[0]> = {}) => {
    directory = mkdtempSync(path.join(tmpdir(), 'orchestrator-process-'));
    adapter = adapterFor(directory, services, extra);
    return adapter;
  };
  afterEach(async () => {
    await adapter?.close();
    adapter = undefined;
    rmSync(directory, { recursive: true, force: true });
  });

  it('declares signal and runtime-paths, and nothing it cannot do', () => {
    const processes = setup({ app: { argv: [NODE, '-e', 'void 0'] } });
    expect([...processes.capabilities].sort()).toEqual(['runtime-paths', 'signal']);
  });

  it('reports a non-zero exit as failed with exit-code, an exit 0 of its own as stopped', async () => {
    const processes = setup({ three: { argv: [NODE, '-e', 'process.exit(3)'] }, zero: { argv: [NODE, '-e', 'process.exit(0)'] } });
    await processes.startAll();
    expect(await reach('three', 'failed')).toMatchObject({
      activeState: 'failed',
      subState: 'failed',
      result: 'exit-code',
      execMainStatus: 3,
      execMainCode: 'exited',
      serviceType: 'simple',
      unitFileState: '',
    });
    expect(await reach('zero', 'stopped')).toMatchObject({ activeState: 'inactive', result: 'success', execMainStatus: 0, execMainCode: 'exited' });
  });

  it('is starting for its first second, then running; counts restarts', async () => {
    let monotonic = 0;
    const processes = setup({ app: { argv: [NODE, '-e', 'setInterval(() => {}, 1000)'] } }, { monotonic: () => monotonic });
    await processes.start('app');
    expect(await status('app')).toMatchObject({ state: 'starting', activeState: 'activating', subState: 'start', restarts: 0 });
    monotonic = 1_500;
    expect(await status('app')).toMatchObject({ state: 'running', restarts: 0 });
    expect((await processes.restart('app')).exitCode).toBe(0);
    monotonic = 3_000;
    expect(await status('app')).toMatchObject({ state: 'running', restarts: 1 });
  });

  it('names a missing program: missing before a start, and the start says why with a spawn error', async () => {
    const processes = setup({ app: { argv: ['no-such-program-anywhere'] } });
    expect(await status('app')).toMatchObject({ state: 'missing', loadState: 'not-found' });
    const started = await processes.start('app');
    expect(started).toMatchObject({ argv: ['process', 'start', 'app'], exitCode: 1, spawnError: 'ENOENT' });
    expect(started.stderr).toMatch(/no-such-program-anywhere is not an executable file/);
    expect((await processes.start('nobody-configured-this')).stderr).toMatch(/not a service of the process adapter/);
  });

  it('is missing while its program or working directory is not there, and startable once they are', async () => {
    const base = mkdtempSync(path.join(tmpdir(), 'orchestrator-install-'));
    const program = path.join(base, 'bin', 'app');
    const cwd = path.join(base, 'work');
    const processes = setup({ app: { argv: [program], cwd } });
    expect((await status('app')).state).toBe('missing');
    mkdirSync(path.dirname(program));
    writeFileSync(program, '#!/bin/sh\nexec sleep 1000\n', { mode: 0o755 });
    expect((await status('app')).state).toBe('missing');
    expect(await processes.start('app')).toMatchObject({ exitCode: 1, spawnError: 'ENOENT', stderr: expect.stringMatching(/working directory .* is not a directory/) });
    mkdirSync(cwd);
    expect((await status('app')).state).toBe('stopped');
    expect((await processes.start('app')).exitCode).toBe(0);
    await reach('app', 'running');
    await processes.stop('app');
    rmSync(base, { recursive: true, force: true });
  });

  it('stops with SIGTERM to the whole process group, and SIGKILLs what ignores it after the stop timeout', async () => {
    // The SIGTERM handler is set before the line the test waits for, or a SIGTERM could come first (seen under load).
    const spawner = `process.on('SIGTERM', () => {}); const c = require('child_process').spawn('sleep', ['1000'], { stdio: 'ignore' }); console.log('grandchild ' + c.pid); setInterval(() => {}, 1000)`;
    const processes = setup({ stubborn: { argv: [NODE, '-e', spawner], stopTimeout: '300ms' } });
    await processes.start('stubborn');
    const lines = await waitUntil('the grandchild pid', async () => (await processes.logs('stubborn', { lines: 10 })).find((line) => line.includes('grandchild')));
    const grandchild = Number(/grandchild (\d+)/.exec(lines)![1]);
    const started = performance.now();
    const stopped = await processes.stop('stubborn');
    expect(stopped).toMatchObject({ exitCode: 0, argv: ['process', 'stop', 'stubborn'] });
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(await status('stubborn')).toMatchObject({ state: 'stopped', result: 'success', execMainCode: 'killed', execMainStatus: 9 });
    await waitUntil('the grandchild to be gone', async () => (processGone(grandchild) ? true : undefined));
  });

  it('after the main process dies on its own, stops the rest of its group', async () => {
    const spawner = `const c = require('child_process').spawn('sleep', ['1000'], { stdio: 'ignore' }); console.log('grandchild ' + c.pid); setTimeout(() => process.exit(4), 300)`;
    const processes = setup({ leaky: { argv: [NODE, '-e', spawner] } });
    await processes.start('leaky');
    expect(await reach('leaky', 'failed')).toMatchObject({ result: 'exit-code', execMainStatus: 4 });
    const line = (await processes.logs('leaky', { lines: 10 })).find((entry) => entry.includes('grandchild'))!;
    await waitUntil('the grandchild to be gone', async () => (processGone(Number(/grandchild (\d+)/.exec(line)![1])) ? true : undefined));
  });

  it('sends signals to the group: SIGCONT resumes a stopped process, SIGKILL fails it', async () => {
    const processes = setup({ app: { argv: [NODE, '-e', 'setInterval(() => {}, 1000)'] } });
    await processes.start('app');
    const { mainPid } = await reach('app', 'running');
    process.kill(mainPid, 'SIGSTOP');
    await waitUntil('stopped (T)', async () => (procState(mainPid) === 'T' ? true : undefined));
    expect((await processes.kill('app', 'SIGCONT')).exitCode).toBe(0);
    await waitUntil('continued', async () => (procState(mainPid) !== 'T' ? true : undefined));
    expect(await processes.kill('app', 'SIGKILL')).toMatchObject({ exitCode: 0, argv: ['process', 'kill', '--signal=SIGKILL', 'app'] });
    expect(await reach('app', 'failed')).toMatchObject({ result: 'signal', execMainStatus: 9 });
    expect((await processes.kill('app', 'SIGTERM')).exitCode).toBe(1);
  });

  it('gives the child only PATH, HOME, LANG and its own environment, in its cwd', async () => {
    process.env.ORCHESTRATOR_SECRET_FOR_TEST = 'leak';
    try {
      const cwd = mkdtempSync(path.join(tmpdir(), 'orchestrator-cwd-'));
      const processes = setup({
        app: {
          argv: [NODE, '-e', 'console.log(JSON.stringify({ keys: Object.keys(process.env).sort(), cwd: process.cwd() })); setInterval(() => {}, 1000)'],
          env: { MODE: 'test' },
          cwd,
        },
      });
      await processes.start('app');
      const line = await waitUntil('the environment line', async () => (await processes.logs('app', { lines: 5 })).find((entry) => entry.includes('"keys"')));
      const printed = JSON.parse(line.slice(line.indexOf('{'))) as { keys: string[]; cwd: string };
      expect(printed.keys.filter((key) => key !== 'NODE_CHANNEL_FD')).toEqual(['HOME', 'LANG', 'MODE', 'PATH']);
      expect(printed.cwd).toBe(cwd);
      rmSync(cwd, { recursive: true, force: true });
    } finally {
      delete process.env.ORCHESTRATOR_SECRET_FOR_TEST;
    }
  });

  it.runIf(IS_ROOT)('runs a child as its configured user when the daemon is root', async () => {
    const processes = setup({ app: { argv: ['/bin/sleep', '1000'], user: 'nobody' }, ghost: { argv: ['/bin/sleep', '1000'], user: 'no-such-user-x' } });
    await processes.start('app');
    const { mainPid } = await reach('app', 'running');
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${mainPid}/status`, 'utf8'))![1];
    const passwd = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith('nobody:'))!;
    expect(uid).toBe(passwd.split(':')[2]);
    const refused = await processes.start('ghost');
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/no-such-user-x, which \/etc\/passwd does not have/);
  });

  it.skipIf(IS_ROOT)('refuses a user: without root, with a clear reason', async () => {
    const processes = setup({ app: { argv: ['/bin/sleep', '1000'], user: 'nobody' } });
    const refused = await processes.start('app');
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/only a daemon running as root can change user/);
  });

  it('writes a supervised child’s pid file (0644) on start and removes it when the child exits', async () => {
    const runDirectory = mkdtempSync(path.join(tmpdir(), 'orchestrator-run-'));
    const pidFile = path.join(runDirectory, 'app.pid');
    const processes = setup({ app: { argv: [NODE, '-e', 'setInterval(() => {}, 1000)'], pidFile }, plain: { argv: [NODE, '-e', 'void 0'] } });
    await processes.start('app');
    const { mainPid } = await reach('app', 'running');
    expect(readFileSync(pidFile, 'utf8')).toBe(`${mainPid}\n`);
    expect(statSync(pidFile).mode & 0o777).toBe(0o644);
    expect(await processes.runtimePaths('app')).toEqual({ directories: [runDirectory], pidFile });
    expect(await processes.runtimePaths('plain')).toEqual({ directories: [] });
    await processes.stop('app');
    expect(() => statSync(pidFile)).toThrow();
    rmSync(runDirectory, { recursive: true, force: true });
  });

  describe('a process found by its pid file', () => {
    it('is missing without the file, stopped when it names a dead pid, running while its pid lives, failed once gone', async () => {
      const pidFile = path.join(mkdtempSync(path.join(tmpdir(), 'orchestrator-found-')), 'db.pid');
      setup({ db: { pidFile } });
      expect(await status('db')).toMatchObject({ state: 'missing', loadState: 'not-found' });
      writeFileSync(pidFile, `${await deadPid()}\n`);
      expect(await status('db')).toMatchObject({ state: 'stopped', mainPid: 0 });
      const found = sleeper();
      try {
        writeFileSync(pidFile, `${found.pid}\n`);
        const running = await status('db');
        expect(running).toMatchObject({ state: 'running', mainPid: found.pid, activeState: 'active' });
        expect(running.activeSince).toBeGreaterThan(Date.now() - 60_000);
        found.kill('SIGKILL');
        await reach('db', 'failed');
        expect(await status('db')).toMatchObject({ mainPid: 0, result: 'unknown' });
      } finally {
        found.kill('SIGKILL');
        rmSync(path.dirname(pidFile), { recursive: true, force: true });
      }
    });

    it('refuses start and restart without argv, but stops it', async () => {
      const pidFile = path.join(mkdtempSync(path.join(tmpdir(), 'orchestrator-found-')), 'db.pid');
      const found = sleeper();
      try {
        writeFileSync(pidFile, `${found.pid}\n`);
        const processes = setup({ db: { pidFile, stopTimeout: '2s' } });
        for (const result of [await processes.start('db'), await processes.restart('db')]) {
          expect(result.exitCode).toBe(1);
          expect(result.stderr).toMatch(/found by its pid file .*: the daemon cannot (start|restart) it/);
        }
        expect((await status('db')).state).toBe('running');
        expect((await processes.stop('db')).exitCode).toBe(0);
        expect(await status('db')).toMatchObject({ state: 'stopped', mainPid: 0 });
      } finally {
        found.kill('SIGKILL');
        rmSync(path.dirname(pidFile), { recursive: true, force: true });
      }
    });

    it('does not take a reused pid (a process younger than its pid file) for the service', async () => {
      const pidFile = path.join(mkdtempSync(path.join(tmpdir(), 'orchestrator-found-')), 'db.pid');
      const stranger = sleeper();
      try {
        writeFileSync(pidFile, `${stranger.pid}\n`);
        const anHourAgo = new Date(Date.now() - 3_600_000);
        utimesSync(pidFile, anHourAgo, anHourAgo);
        const processes = setup({ db: { pidFile } });
        expect(await status('db')).toMatchObject({ state: 'stopped', mainPid: 0 });
        expect((await processes.stop('db')).exitCode).toBe(0);
        expect(processGone(stranger.pid!)).toBe(false);
      } finally {
        stranger.kill('SIGKILL');
        rmSync(path.dirname(pidFile), { recursive: true, force: true });
      }
    });
  });

  describe('logs', () => {
    it('keeps captured lines with a timestamp and the stream, in a 0700 directory, and shares the line budget with log files', async () => {
      const logDirectory = mkdtempSync(path.join(tmpdir(), 'orchestrator-logfiles-'));
      const own = path.join(logDirectory, 'app.log');
      writeFileSync(own, 'own 1\nown 2\nown 3\n');
      const processes = setup({ app: { argv: [NODE, '-e', "console.log('to stdout'); console.error('to stderr'); setInterval(() => {}, 1000)"], logFiles: [own] } });
      await processes.start('app');
      await waitUntil('both lines', async () => ((await processes.logs('app', { lines: 10 })).filter((line) => line.includes(' to std')).length === 2 ? true : undefined));
      const lines = await processes.logs('app', { lines: 10 });
      expect(lines).toEqual([
        expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z out: to stdout$/),
        expect.stringMatching(/Z err: to stderr$/),
        'own 1',
        'own 2',
        'own 3',
      ]);
      expect(await processes.logs('app', { lines: 3 })).toEqual([expect.stringMatching(/to stdout$/), expect.stringMatching(/to stderr$/), 'own 3']);
      expect(statSync(path.join(directory, 'logs')).mode & 0o777).toBe(0o700);
      expect(statSync(path.join(directory, 'logs', 'app.log')).mode & 0o777).toBe(0o600);
      rmSync(logDirectory, { recursive: true, force: true });
    });

    it('cuts a window by each line’s time, or by the file’s mtime for lines without one; never reads through a link', async () => {
      let now = Date.parse('2026-12-02T08:00:00.000Z');
      const logDirectory = mkdtempSync(path.join(tmpdir(), 'orchestrator-logfiles-'));
      const stamped = path.join(logDirectory, 'stamped.log');
      const plain = path.join(logDirectory, 'plain.log');
      const old = path.join(logDirectory, 'old.log');
      const secret = path.join(logDirectory, 'secret');
      const link = path.join(logDirectory, 'link.log');
      writeFileSync(stamped, '2026-12-02T07:00:00Z early\n2026-12-02 07:59:30,123 late\n');
      writeFileSync(plain, 'plain line\n');
      writeFileSync(old, 'old line\n');
      writeFileSync(secret, 'do not read me\n');
      symlinkSync(secret, link);
      const recent = new Date(now - 10_000);
      utimesSync(plain, recent, recent);
      utimesSync(stamped, recent, recent);
      const longAgo = new Date(now - 7_200_000);
      utimesSync(old, longAgo, longAgo);
      const processes = setup({ app: { argv: [NODE, '-e', "console.log('captured'); setInterval(() => {}, 1000)"], logFiles: [stamped, plain, old, link] } }, { now: () => now });
      await processes.start('app');
      await waitUntil('the captured line', async () => ((await processes.logs('app', { lines: 20 })).some((line) => line.endsWith('captured')) ? true : undefined));
      expect(await processes.logs('app', { lines: 20, sinceMs: 60_000 })).toEqual(['2026-12-02T08:00:00.000Z out: captured', '2026-12-02 07:59:30,123 late', 'plain line']);
      now += 120_000;
      expect(await processes.logs('app', { lines: 20, sinceMs: 60_000 })).toEqual([]);
      expect(await processes.logs('app', { lines: 20 })).not.toContain('do not read me');
      rmSync(logDirectory, { recursive: true, force: true });
    });

    it('reads the rotated file when the current one is short', async () => {
      const processes = setup({ app: { argv: [NODE, '-e', "console.log('new line'); setInterval(() => {}, 1000)"] } });
      mkdirSync(path.join(directory, 'logs'), { recursive: true });
      writeFileSync(path.join(directory, 'logs', 'app.log.1'), '2026-12-02T07:00:00.000Z out: rotated line\n');
      await processes.start('app');
      await waitUntil('both lines', async () => ((await processes.logs('app', { lines: 5 })).length === 2 ? true : undefined));
      expect(await processes.logs('app', { lines: 5 })).toEqual([expect.stringMatching(/rotated line$/), expect.stringMatching(/new line$/)]);
    });
  });

  it('close() stops every child it started, leaves found processes alone, and starts nothing afterwards', async () => {
    const pidFile = path.join(mkdtempSync(path.join(tmpdir(), 'orchestrator-found-')), 'db.pid');
    const found = sleeper();
    try {
      writeFileSync(pidFile, `${found.pid}\n`);
      const processes = setup({
        one: { argv: [NODE, '-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"] },
        two: { argv: ['/bin/sleep', '1000'] },
        db: { pidFile },
      });
      expect(await processes.startAll()).toEqual(new Map());
      const pids = [(await reach('one', 'running')).mainPid, (await reach('two', 'running')).mainPid];
      const started = performance.now();
      await processes.close();
      expect(performance.now() - started).toBeLessThan(10_000);
      for (const pid of pids) expect(processGone(pid)).toBe(true);
      expect(processGone(found.pid!)).toBe(false);
      expect((await processes.start('two')).stderr).toMatch(/shutting down/);
    } finally {
      found.kill('SIGKILL');
      rmSync(path.dirname(pidFile), { recursive: true, force: true });
    }
  });

  it('calls a watch listener when a child starts and when it exits, and stops calling once unsubscribed', async () => {
    const processes = setup({ app: { argv: [NODE, '-e', 'setTimeout(() => process.exit(1), 200)'] }, other: { argv: [NODE, '-e', 'void 0'] } });
    const heard: string[] = [];
    const stop = processes.watch(['app'], (name) => heard.push(name));
    await processes.start('app');
    await processes.start('other');
    expect(heard).toEqual(['app']);
    await waitUntil('the exit heard', async () => (heard.length === 2 ? true : undefined));
    expect(heard).toEqual(['app', 'app']);
    expect((await status('app')).state).toBe('failed');
    stop();
    await processes.start('app');
    expect(heard).toHaveLength(2);
  });
});

function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}
