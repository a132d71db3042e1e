/**
 * Online backups of both databases with SQLite's backup API (consistent while the daemon writes), one
 * directory per backup with a manifest; restore checks integrity first and keeps the current files aside.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { OrchestratorError, UsageError } from '../core/errors.js';

const DATABASES = ['tasks.db', 'escalations.db'] as const;
const MANIFEST = 'backup.json';

export interface BackupInfo {
  path: string;
  createdAt: number;
  files: string[];
}

/** Writes a consistent copy of both databases to a new directory under `directory`; returns it. */
export async function backupDatabases(dataDir: string, directory: string, now: number): Promise<BackupInfo> {
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  const target = path.join(directory, `autonomous-orchestrator-${stamp}`);
  mkdirSync(target, { recursive: true, mode: 0o700 });
  const files: string[] = [];
  for (const name of DATABASES) {
    const source = path.join(dataDir, name);
    if (!existsSync(source)) continue;
    const database = new Database(source, { readonly: true, fileMustExist: true });
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

/** Backups under `directory`, newest first. */
export function listBackups(directory: string): BackupInfo[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .map((name) => path.join(directory, name))
    .filter((entry) => existsSync(path.join(entry, MANIFEST)))
    .map((entry) => {
      const manifest = JSON.parse(readFileSync(path.join(entry, MANIFEST), 'utf8')) as { createdAt: string; files: string[] };
      return { path: entry, createdAt: Date.parse(manifest.createdAt), files: manifest.files };
    })
    .sort((a, b) => b.createdAt - a.createdAt);
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
 * daemon runs. The current files are moved to DATA/pre-restore-<time>/ first, so nothing is lost.
 */
export function restoreDatabases(dataDir: string, source: string, now: number): { restored: string[]; previous: string } {
  const directory = statSync(source, { throwIfNoEntry: false })?.isDirectory() ? source : path.dirname(source);
  if (!existsSync(path.join(directory, MANIFEST))) throw new UsageError(`${source} is not a backup made by "orchestrator backup" (no ${MANIFEST})`);
  const manifest = JSON.parse(readFileSync(path.join(directory, MANIFEST), 'utf8')) as { files: string[] };
  for (const name of manifest.files) {
    const file = path.join(directory, name);
    if (!existsSync(file)) throw new UsageError(`the backup is incomplete: ${file} is missing`);
    const database = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const result = database.pragma('integrity_check', { simple: true });
      if (result !== 'ok') throw new OrchestratorError('BACKUP_CORRUPT', `${file} fails its integrity check: ${String(result)}`);
    } finally {
      database.close();
    }
  }
  const previous = path.join(dataDir, `pre-restore-${new Date(now).toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(previous, { recursive: true, mode: 0o700 });
  for (const name of DATABASES) {
    for (const suffix of ['', '-wal', '-shm']) {
      const file = path.join(dataDir, `${name}${suffix}`);
      if (existsSync(file)) renameSync(file, path.join(previous, `${name}${suffix}`));
    }
  }
  for (const name of manifest.files) copyFileSync(path.join(directory, name), path.join(dataDir, name));
  return { restored: manifest.files, previous };
}
