/**
 * Online backups of both databases with SQLite's backup API (consistent while the daemon writes), one
 * directory per backup with a manifest. A restore trusts nothing in the backup: the manifest may name only the
 * two databases, both; each must be a regular file with SQLite's header that passes its integrity check. The
 * files are copied into the data directory and checked there, and only then are the live files moved aside.
 */
import Database from 'better-sqlite3';
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { z } from 'zod/v4';
import { UsageError } from '../core/errors.js';
import { ESCALATIONS_MIGRATIONS, TASKS_MIGRATIONS } from './migrations.js';
import type { Migrations } from './database.js';

const DATABASES = ['tasks.db', 'escalations.db'] as const;
type DatabaseName = (typeof DATABASES)[number];
const MIGRATIONS: Record<DatabaseName, Migrations> = { 'tasks.db': TASKS_MIGRATIONS, 'escalations.db': ESCALATIONS_MIGRATIONS };
const MANIFEST = 'backup.json';
/** A manifest made by `orchestrator backup` is about 100 bytes. */
const MAX_MANIFEST_BYTES = 64 * 1024;
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
const NOT_OURS = 'restore only a backup made by "orchestrator backup"';

export interface BackupInfo {
  path: string;
  createdAt: number;
  files: string[];
}

/** The manifest a backup must have: both databases, each named once, nothing else. */
const manifestSchema = z.object({
  files: z
    .array(
      z
        .string({ error: 'each entry of files must be a database file name' })
        .refine((name) => !/[/\\\0]/.test(name) && name !== '.' && name !== '..', { error: 'an entry of files is a path, not a database file name', abort: true })
        .refine((name) => (DATABASES as readonly string[]).includes(name), { error: `an entry of files is not ${DATABASES.join(' or ')}` }),
      { error: 'files must be the list of database files in the backup' },
    )
    .min(1, { error: 'files is empty: the backup holds no database' })
    .refine((files) => new Set(files).size === files.length, { error: 'files names a database twice' })
    .refine((files) => DATABASES.every((name) => files.includes(name)), {
      error: `the backup is partial: a restore needs both ${DATABASES.join(' and ')}, taken together, or the two would disagree`,
    }),
  createdAt: z.string({ error: 'createdAt must be the time of the backup' }).refine((text) => Number.isFinite(Date.parse(text)), { error: 'createdAt is not a time' }),
});

/** Writes a consistent copy of both databases to a new directory under `directory`; returns it. */
export async function backupDatabases(dataDir: string, directory: string, now: number): Promise<BackupInfo> {
  for (const name of DATABASES) {
    if (!existsSync(path.join(dataDir, name))) {
      throw new UsageError(`no ${name} in ${dataDir}: there is nothing to back up yet (run "orchestrator run" first, or pass --data-dir)`);
    }
  }
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  const target = path.join(directory, `autonomous-orchestrator-${stamp}`);
  mkdirSync(target, { recursive: true, mode: 0o700 });
  const files: string[] = [];
  for (const name of DATABASES) {
    const database = new Database(path.join(dataDir, name), { readonly: true, fileMustExist: true });
    try {
      await database.backup(path.join(target, name));
    } finally {
      database.close();
    }
    files.push(name);
  }
  const info: BackupInfo = { path: target, createdAt: now, files };
  writeFileSync(path.join(target, MANIFEST), `${JSON.stringify({ createdAt: new Date(now).toISOString(), files }, null, 2)}\n`, { mode: 0o600 });
  return info;
}

/** Backups under `directory`, newest first; a directory whose manifest is missing or invalid is skipped. */
export function listBackups(directory: string): BackupInfo[] {
  if (!existsSync(directory)) return [];
  const backups: BackupInfo[] = [];
  for (const name of readdirSync(directory)) {
    const entry = path.join(directory, name);
    if (!lstatSync(entry, { throwIfNoEntry: false })?.isDirectory()) continue;
    try {
      const manifest = readManifest(entry);
      backups.push({ path: entry, createdAt: Date.parse(manifest.createdAt), files: manifest.files });
    } catch {
      // Not a backup, or a damaged one: never listed, so never pruned nor taken as the newest.
    }
  }
  return backups.sort((a, b) => b.createdAt - a.createdAt);
}

/** Removes backups older than `keepDays`; always keeps the newest. Returns what was removed. */
export function pruneBackups(directory: string, keepDays: number, now: number): string[] {
  const removed: string[] = [];
  for (const backup of listBackups(directory).slice(1)) {
    if (now - backup.createdAt > keepDays * 86_400_000) {
      rmSync(backup.path, { recursive: true, force: true });
      removed.push(backup.path);
    }
  }
  return removed;
}

/**
 * Replaces the databases with a backup (a backup directory or its backup.json). The caller makes sure no
 * daemon runs. Everything is checked on copies inside the data directory first; the current files are then moved
 * to DATA/pre-restore-<time>/, so nothing is lost, and a refused backup changes nothing.
 */
export function restoreDatabases(dataDir: string, source: string, now: number): { restored: string[]; previous: string } {
  const directory = backupDirectoryOf(source);
  const manifest = readManifest(directory);
  const staging = mkdtempSync(path.join(dataDir, '.restore-'));
  try {
    for (const name of manifest.files) stageDatabase(path.join(directory, name), path.join(staging, name), name);
    const previous = path.join(dataDir, `pre-restore-${new Date(now).toISOString().replace(/[:.]/g, '-')}`);
    mkdirSync(previous, { recursive: true, mode: 0o700 });
    for (const name of DATABASES) {
      for (const suffix of ['', '-wal', '-shm']) {
        const file = path.join(dataDir, `${name}${suffix}`);
        if (existsSync(file)) renameSync(file, path.join(previous, `${name}${suffix}`));
      }
    }
    // Only the fixed names are ever written, and only into the data directory.
    for (const name of DATABASES) renameSync(path.join(staging, name), path.join(dataDir, name));
    return { restored: [...DATABASES], previous };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** The backup directory named by `source`: the directory itself, or the directory of its backup.json. */
function backupDirectoryOf(source: string): string {
  const stats = statSync(source, { throwIfNoEntry: false });
  if (!stats) throw new UsageError(`${source} does not exist: give a backup directory made by "orchestrator backup"`);
  if (stats.isDirectory()) return source;
  if (path.basename(source) === MANIFEST) return path.dirname(source);
  throw new UsageError(`${source} is not a backup: give the backup directory (or its ${MANIFEST})`);
}

/** Reads and validates `directory`/backup.json, or throws a UsageError saying what is wrong with it. */
function readManifest(directory: string): { createdAt: string; files: DatabaseName[] } {
  const file = path.join(directory, MANIFEST);
  const text = readSmallRegularFile(file, MAX_MANIFEST_BYTES, `${directory} is not a backup made by "orchestrator backup" (no ${MANIFEST})`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`${file} is not JSON: the backup is damaged or not ours; ${NOT_OURS}`);
  }
  const result = manifestSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.length > 0 ? ` (${issue.path.map(String).join('.')})` : '';
    throw new UsageError(`${file}${where}: ${issue.message}; ${NOT_OURS}`);
  }
  return result.data as { createdAt: string; files: DatabaseName[] };
}

/** The content of a regular file (never through a link) of at most `limit` bytes; `missing` when absent. */
function readSmallRegularFile(file: string, limit: number, missing: string): string {
  const descriptor = openRegularFile(file, missing);
  try {
    const stats = fstatSync(descriptor);
    if (stats.size > limit) throw new UsageError(`${file} is ${stats.size} bytes, too large for a backup manifest; ${NOT_OURS}`);
    const buffer = Buffer.alloc(limit + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(descriptor, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > limit) throw new UsageError(`${file} is too large for a backup manifest; ${NOT_OURS}`);
    return buffer.toString('utf8', 0, length);
  } finally {
    closeSync(descriptor);
  }
}

/** Opens `file` for reading without following a link at its last component; refuses anything but a regular file. */
function openRegularFile(file: string, missing: string): number {
  let descriptor: number;
  try {
    descriptor = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(missing);
    if (code === 'ELOOP') throw new UsageError(`${file} is a symbolic link; a backup holds the files themselves: ${NOT_OURS}`);
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  if (!fstatSync(descriptor).isFile()) {
    closeSync(descriptor);
    throw new UsageError(`${file} is not a regular file; ${NOT_OURS}`);
  }
  return descriptor;
}

/**
 * Copies the backup's `source` to `staged` (in the data directory) and checks the copy: what is checked is what
 * is installed, even if the backup changes meanwhile.
 */
function stageDatabase(source: string, staged: string, name: DatabaseName): void {
  const input = openRegularFile(source, `the backup is incomplete: ${source} is missing`);
  try {
    const output = openSync(staged, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      const buffer = Buffer.alloc(1024 * 1024);
      for (let read = readSync(input, buffer, 0, buffer.length, null); read > 0; read = readSync(input, buffer, 0, buffer.length, null)) {
        for (let written = 0; written < read;) written += writeSync(output, buffer, written, read - written);
      }
    } finally {
      closeSync(output);
    }
  } finally {
    closeSync(input);
  }
  checkDatabase(staged, source, name);
}

/** Refuses a copy that is not a SQLite database, fails its integrity check, or is newer than this orchestrator. */
function checkDatabase(staged: string, source: string, name: DatabaseName): void {
  const header = Buffer.alloc(SQLITE_HEADER.length);
  const descriptor = openSync(staged, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    readSync(descriptor, header, 0, header.length, 0);
  } finally {
    closeSync(descriptor);
  }
  if (!header.equals(SQLITE_HEADER)) throw new UsageError(`${source} is not a SQLite database (no SQLite header): the backup is damaged; use another one`);
  let database: Database.Database | undefined;
  try {
    database = new Database(staged, { readonly: true, fileMustExist: true });
    const result = String(database.pragma('integrity_check', { simple: true }));
    if (result !== 'ok') {
      const first = result.split('\n').find((line) => line.trim() !== '' && !line.startsWith('***')) ?? result;
      throw new UsageError(`${source} fails its integrity check (${first.slice(0, 200)}): the backup is damaged; use another one`);
    }
    const version = database.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS[name].length) {
      throw new UsageError(
        `${source} has schema version ${version}, newer than this orchestrator knows (${MIGRATIONS[name].length}): upgrade the orchestrator before restoring it`,
      );
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${source} is not a usable SQLite database (${(error as Error).message}): the backup is damaged; use another one`);
  } finally {
    database?.close();
  }
}
