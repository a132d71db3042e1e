/**
 * What an operator sees when something goes wrong: never a raw stack trace. A data directory whose tasks.db is
 * garbage or damaged is reported with the file and how to restore it (exit 2) and left as it was; a --data-dir
 * in /proc, /sys or /etc is refused at once instead of looping on mkdir; unknown and system errors get one
 * sentence, with the stack only when AO_DEBUG=1.
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStores } from '../../src/store/stores.js';
import { reportError } from '../../src/cli/program.js';
import { dataDirOverride } from '../../src/cli/context.js';
import { UsageError } from '../../src/core/errors.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli', 'main.js');
const work = mkdtempSync(path.join(tmpdir(), 'orchestrator-hostile-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const config = path.join(work, 'config.yaml');
writeFileSync(
  config,
  'cycle: { watchFailedUnits: false }\nweb: { enabled: false }\nbackup: { enabled: false }\nhost: { disk: { enabled: false }, inodes: { enabled: false }, memory: { enabled: false } }\n',
);

function cli(args: string[], options: { cwd?: string; timeout?: number } = {}): Promise<{ code: number; stdout: string; stderr: string; killed: boolean }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: options.timeout ?? 30_000, cwd: options.cwd }, (error, stdout, stderr) => {
      const killed = Boolean((error as { killed?: boolean } | null)?.killed);
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr, killed });
    });
  });
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const STACK_LINE = /^\s+at /m;

describe('a data directory whose database is not usable', () => {
  it('tasks.db full of garbage: status and tasks exit 2 with the file and the restore command, and leave it alone', async () => {
    const dataDir = path.join(work, 'garbage');
    mkdirSync(dataDir, { mode: 0o700 });
    const tasks = path.join(dataDir, 'tasks.db');
    writeFileSync(tasks, Buffer.from(Array.from({ length: 8192 }, (_, index) => (index * 7919) % 251)));
    const before = sha(tasks);
    for (const command of ['status', 'tasks']) {
      const result = await cli([command, '--data-dir', dataDir, '--config', config]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(`error: ${tasks} is not a usable database (SQLITE_NOTADB`);
      expect(result.stderr).toMatch(/restore a backup with "orchestrator restore <backup directory>"/);
      expect(result.stderr).not.toMatch(STACK_LINE);
      expect(result.stderr).not.toContain('SqliteError');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(sha(tasks)).toBe(before);
    expect(existsSync(path.join(dataDir, 'escalations.db'))).toBe(false);
  });

  it('tasks.db with a valid header but damaged pages: exit 2 and a sentence, from wherever it is found', async () => {
    const dataDir = path.join(work, 'damaged');
    openStores(dataDir).close();
    const tasks = path.join(dataDir, 'tasks.db');
    const bytes = readFileSync(tasks);
    bytes.fill(0xff, 4096 * 2, Math.min(bytes.length, 4096 * 12));
    writeFileSync(tasks, bytes);
    const before = sha(tasks);
    for (const command of ['status', 'tasks']) {
      const result = await cli([command, '--data-dir', dataDir, '--config', config]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/^error: .*is not usable|^error: .*is not a usable database/);
      expect(result.stderr).toMatch(/SQLITE_CORRUPT/);
      expect(result.stderr).toMatch(/orchestrator restore/);
      expect(result.stderr).not.toMatch(STACK_LINE);
    }
    expect(sha(tasks)).toBe(before);
  });
});

describe('--data-dir', () => {
  for (const directory of [
    '/proc/orchestrator-hostile',
    '/sys/orchestrator-hostile',
    '/etc/orchestrator-hostile',
    '/dev/orchestrator-hostile',
    '/usr/orchestrator-hostile',
    '/boot/orchestrator-hostile',
  ]) {
    it(`${directory} is refused at once with exit 2, and nothing is created`, async () => {
      const tree = directory.split('/')[1];
      for (const command of [['status'], ['run', '--once'], ['backup']]) {
        const result = await cli([...command, '--data-dir', directory, '--config', config], { timeout: 15_000 });
        expect(result.killed, `${command.join(' ')} --data-dir ${directory} did not finish`).toBe(false);
        expect(result.code, result.stderr).toBe(2);
        expect(result.stderr).toBe(
          `error: data directory ${directory} is inside the system directory /${tree}: use a directory of its own, such as /var/lib/autonomous-orchestrator (--data-dir)\n`,
        );
      }
      expect(existsSync(directory)).toBe(false);
    });
  }

  it('a system directory itself, and one written with extra slashes', () => {
    expect(() => dataDirOverride('/etc')).toThrow(
      new UsageError('data directory /etc is a system directory: use a directory of its own, such as /var/lib/autonomous-orchestrator (--data-dir)'),
    );
    expect(() => dataDirOverride('//proc//x/')).toThrow(/inside the system directory \/proc/);
    expect(() => dataDirOverride('/')).toThrow(/cannot be \//);
    expect(() => dataDirOverride('')).toThrow(UsageError);
  });

  it('a relative --data-dir is resolved to an absolute path', async () => {
    expect(dataDirOverride('relative/data')).toBe(path.resolve('relative/data'));
    const result = await cli(['status', '--data-dir', 'not-yet', '--config', config], { cwd: work });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`error: no data in ${path.join(work, 'not-yet')} yet: run "orchestrator run" first, or pass --data-dir\n`);
  });
});

describe('reportError', () => {
  const written: string[] = [];
  const spy = () => vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
  afterEach(() => {
    vi.restoreAllMocks();
    written.length = 0;
    delete process.env.AO_DEBUG;
  });

  it('an unknown error is one sentence without its stack', () => {
    spy();
    expect(reportError(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBe(1);
    expect(written.join('')).toBe("error: Cannot read properties of undefined (reading 'x')\n");
  });

  it('the stack only with AO_DEBUG=1', () => {
    process.env.AO_DEBUG = '1';
    spy();
    expect(reportError(new Error('boom'))).toBe(1);
    expect(written.join('')).toMatch(/^error: boom\nError: boom\n\s+at /);
  });

  it('a thrown string or an error with a multi-line message prints one line', () => {
    spy();
    reportError('plain string');
    reportError(new Error('first line\nsecond line with details'));
    expect(written.join('')).toBe('error: plain string\nerror: first line\n');
  });

  it('system errors get sentences with what to do', () => {
    spy();
    const system = (code: string, extra: Record<string, string> = {}) => Object.assign(new Error(`${code}: raw`), { code, ...extra });
    expect(reportError(system('ENOSPC', { syscall: 'write', path: '/var/lib/autonomous-orchestrator/tasks.db' }))).toBe(1);
    expect(reportError(system('EACCES', { syscall: 'open', path: '/var/lib/autonomous-orchestrator' }))).toBe(1);
    expect(reportError(system('EPERM'))).toBe(1);
    expect(reportError(system('SQLITE_CORRUPT'))).toBe(2);
    expect(reportError(system('SQLITE_NOTADB'))).toBe(2);
    expect(reportError(system('SQLITE_FULL'))).toBe(1);
    const lines = written.join('').trim().split('\n');
    expect(lines[0]).toBe(
      'error: no space left on device (write /var/lib/autonomous-orchestrator/tasks.db): free some space on the filesystem of the data directory and try again',
    );
    expect(lines[1]).toMatch(/^error: permission denied \(open \/var\/lib\/autonomous-orchestrator\): run as the user that owns the data directory/);
    expect(lines[2]).toMatch(/^error: permission denied: /);
    expect(lines[3]).toMatch(/^error: a database in the data directory is not usable \(SQLITE_CORRUPT: .*\): restore a backup with "orchestrator restore <backup directory>"/);
    expect(lines[4]).toMatch(/^error: a database in the data directory is not usable \(SQLITE_NOTADB/);
    expect(lines[5]).toMatch(/^error: no space left on device: /);
    expect(written.join('')).not.toMatch(STACK_LINE);
  });
});
