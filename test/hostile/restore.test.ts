/**
 * A hostile backup handed to `orchestrator restore`: a manifest that names paths outside the backup, names
 * nothing or only one database, is not JSON; a database file that is garbage or a symbolic link. Each case is
 * run through the built CLI and asserts the refusal (exit 2, a sentence, no stack trace) and that nothing was
 * harmed: the live databases and a sacrificial file outside the data directory keep their sha256, and nothing
 * was moved aside.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStores } from '../../src/store/stores.js';
import { listBackups, pruneBackups } from '../../src/store/backup.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli', 'main.js');
const DATABASES = ['tasks.db', 'escalations.db'];

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

let base: string;
let config: string;
/** An honest backup made by `orchestrator backup` of a data directory paused with reason "from the backup". */
let honest: string;

beforeAll(async () => {
  base = mkdtempSync(path.join(tmpdir(), 'orchestrator-hostile-restore-'));
  config = path.join(base, 'config.yaml');
  // No services, no host checks, no dashboard: runs on any Linux host without touching it.
  writeFileSync(
    config,
    'cycle: { watchFailedUnits: false }\nweb: { enabled: false }\nbackup: { enabled: false }\nhost: { disk: { enabled: false }, inodes: { enabled: false }, memory: { enabled: false } }\n',
  );
  const source = path.join(base, 'source-data');
  const run = await cli(['run', '--once', '--data-dir', source, '--config', config]);
  expect(run.code, run.stderr).toBe(0);
  const stores = openStores(source);
  stores.state.setPause(true, Date.now(), 'from the backup');
  stores.close();
  const backup = await cli(['backup', '--json', '--data-dir', source, '--config', config, '--output', path.join(base, 'honest')]);
  expect(backup.code, backup.stderr).toBe(0);
  honest = (JSON.parse(backup.stdout) as { path: string }).path;
  expect(readdirSync(honest).sort()).toEqual(['backup.json', 'escalations.db', 'tasks.db']);
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

let work: string;
let dataDir: string;
let backupDir: string;
let sacrificial: string;
let before: Record<string, string>;

beforeEach(() => {
  work = mkdtempSync(path.join(base, 'case-'));
  // Laid out so that "../../t/f" from the backup directory and from the data directory lead to two different
  // files: the planted database (source) and the sacrificial file (destination) of the old restore.
  dataDir = path.join(work, 'a', 'data');
  mkdirSync(path.dirname(dataDir), { recursive: true });
  const stores = openStores(dataDir);
  stores.state.setPause(true, Date.now(), 'live');
  stores.close();
  backupDir = path.join(work, 'backups', 'x', 'b');
  mkdirSync(path.dirname(backupDir), { recursive: true });
  cpSync(honest, backupDir, { recursive: true });
  mkdirSync(path.join(work, 't'));
  sacrificial = path.join(work, 't', 'f');
  writeFileSync(sacrificial, 'precious, outside the data directory\n');
  mkdirSync(path.join(work, 'backups', 't'));
  copyFileSync(path.join(honest, 'tasks.db'), path.join(work, 'backups', 't', 'f'));
  before = snapshot();
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** sha256 of the live databases and the sacrificial file. */
function snapshot(): Record<string, string> {
  return Object.fromEntries([...DATABASES.map((name) => [name, sha(path.join(dataDir, name))]), ['sacrificial', sha(sacrificial)]]);
}

function manifest(content: string): void {
  writeFileSync(path.join(backupDir, 'backup.json'), content);
}

async function expectRefused(message: RegExp): Promise<void> {
  const result = await cli(['restore', backupDir, '--data-dir', dataDir, '--config', config]);
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr).toMatch(/^error: /);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(snapshot()).toEqual(before);
  const left = readdirSync(dataDir);
  expect(left.filter((name) => name.startsWith('pre-restore-') || name.startsWith('.restore-'))).toEqual([]);
  const stores = openStores(dataDir);
  expect(stores.state.pause()).toMatchObject({ paused: true, reason: 'live' });
  stores.close();
}

describe('restore refuses a hostile backup and changes nothing', () => {
  it('a manifest naming a path outside the backup ({"files":["../../t/f"]})', async () => {
    manifest('{"createdAt":"2026-11-01T00:00:00.000Z","files":["../../t/f"]}');
    await expectRefused(/backup\.json \(files\.0\): an entry of files is a path, not a database file name; restore only a backup made by "orchestrator backup"/);
  });

  it('the same without createdAt, as written by hand', async () => {
    manifest('{"files":["../../t/f"]}');
    await expectRefused(/an entry of files is a path/);
  });

  it('an empty manifest ({"files":[]})', async () => {
    manifest('{"files":[]}');
    await expectRefused(/files is empty: the backup holds no database/);
  });

  it('a partial backup ({"files":["tasks.db"]})', async () => {
    manifest('{"createdAt":"2026-11-01T00:00:00.000Z","files":["tasks.db"]}');
    rmSync(path.join(backupDir, 'escalations.db'));
    await expectRefused(/the backup is partial: a restore needs both tasks\.db and escalations\.db/);
  });

  it('a database named twice, or a name that is not one of the two', async () => {
    manifest('{"createdAt":"2026-11-01T00:00:00.000Z","files":["tasks.db","tasks.db","escalations.db"]}');
    await expectRefused(/files names a database twice/);
    manifest('{"createdAt":"2026-11-01T00:00:00.000Z","files":["tasks.db","escalations.db","daemon.lock"]}');
    await expectRefused(/an entry of files is not tasks\.db or escalations\.db/);
  });

  it('a manifest that is not JSON', async () => {
    manifest('files: [tasks.db, escalations.db]\n');
    await expectRefused(/backup\.json is not JSON: the backup is damaged or not ours/);
  });

  it('a manifest that is a symbolic link', async () => {
    const elsewhere = path.join(work, 'manifest.json');
    writeFileSync(elsewhere, readFileSync(path.join(backupDir, 'backup.json')));
    rmSync(path.join(backupDir, 'backup.json'));
    symlinkSync(elsewhere, path.join(backupDir, 'backup.json'));
    await expectRefused(/backup\.json is a symbolic link/);
  });

  it('a backup whose tasks.db is garbage', async () => {
    writeFileSync(path.join(backupDir, 'tasks.db'), 'not a database at all\n'.repeat(500));
    await expectRefused(/tasks\.db is not a SQLite database \(no SQLite header\): the backup is damaged; use another one/);
  });

  it('a backup whose tasks.db has the header but damaged pages', async () => {
    const file = path.join(backupDir, 'tasks.db');
    const bytes = readFileSync(file);
    bytes.fill(0xff, 4096 * 2, Math.min(bytes.length, 4096 * 12));
    writeFileSync(file, bytes);
    await expectRefused(/tasks\.db (fails its integrity check|is not a usable SQLite database)/);
  });

  it('a backup whose tasks.db is a symbolic link to another file', async () => {
    const other = path.join(work, 't', 'other.db');
    copyFileSync(path.join(honest, 'tasks.db'), other);
    const otherSha = sha(other);
    rmSync(path.join(backupDir, 'tasks.db'));
    symlinkSync(other, path.join(backupDir, 'tasks.db'));
    await expectRefused(/tasks\.db is a symbolic link; a backup holds the files themselves/);
    expect(sha(other)).toBe(otherSha);
  });

  it('a file that is neither a backup directory nor its backup.json', async () => {
    const result = await cli(['restore', path.join(backupDir, 'tasks.db'), '--data-dir', dataDir, '--config', config]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/is not a backup: give the backup directory/);
    expect(snapshot()).toEqual(before);
  });
});

describe('an honest backup', () => {
  it('still restores, keeping the replaced files aside', async () => {
    const result = await cli(['restore', backupDir, '--data-dir', dataDir, '--config', config, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const { restored, previous } = JSON.parse(result.stdout) as { restored: string[]; previous: string };
    expect(restored).toEqual(DATABASES);
    for (const name of DATABASES) {
      expect(sha(path.join(dataDir, name))).toBe(sha(path.join(honest, name)));
      expect(sha(path.join(previous, name))).toBe(before[name]);
    }
    expect(sha(sacrificial)).toBe(before.sacrificial);
    expect(readdirSync(dataDir).some((name) => name.startsWith('.restore-'))).toBe(false);
    const stores = openStores(dataDir);
    expect(stores.state.pause()).toMatchObject({ paused: true, reason: 'from the backup' });
    stores.close();
  });

  it('restores into a data directory that does not exist yet', async () => {
    const fresh = path.join(work, 'fresh');
    const result = await cli(['restore', path.join(backupDir, 'backup.json'), '--data-dir', fresh, '--config', config]);
    expect(result.code, result.stderr).toBe(0);
    for (const name of DATABASES) expect(sha(path.join(fresh, name))).toBe(sha(path.join(honest, name)));
  });
});

describe('listing backups', () => {
  it('skips a backup whose manifest is damaged, and pruning leaves it alone', () => {
    const directory = path.join(work, 'backups', 'x');
    for (const [name, content] of [
      ['not-json', 'nope'],
      ['escaping', '{"createdAt":"2020-01-01T00:00:00.000Z","files":["../../t/f"]}'],
      ['partial', '{"createdAt":"2020-01-01T00:00:00.000Z","files":["tasks.db"]}'],
    ] as const) {
      mkdirSync(path.join(directory, name));
      writeFileSync(path.join(directory, name, 'backup.json'), content);
    }
    expect(listBackups(directory).map((backup) => backup.path)).toEqual([backupDir]);
    expect(pruneBackups(directory, 1, Date.now() + 400 * 86_400_000)).toEqual([]);
    expect(existsSync(path.join(directory, 'not-json'))).toBe(true);
    expect(existsSync(backupDir)).toBe(true);
  });
});
