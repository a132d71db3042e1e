/** Backups with SQLite's backup API, restore with integrity checks, retention. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStores } from '../../src/store/stores.js';
import { backupDatabases, listBackups, pruneBackups, restoreDatabases } from '../../src/store/backup.js';
import { UsageError } from '../../src/core/errors.js';

let work: string;
beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), 'orchestrator-backup-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

describe('backup and restore', () => {
  it('restores what was backed up, keeping the replaced files aside', async () => {
    const dataDir = path.join(work, 'data');
    const stores = openStores(dataDir);
    stores.state.setPause(true, Date.now(), 'before backup');
    const backup = await backupDatabases(dataDir, path.join(work, 'backups'), Date.now());
    stores.state.setPause(false, Date.now());
    stores.close();
    expect(backup.files).toEqual(['tasks.db', 'escalations.db']);
    const result = restoreDatabases(dataDir, path.join(backup.path, 'backup.json'), Date.now());
    expect(result.restored).toEqual(['tasks.db', 'escalations.db']);
    expect(existsSync(path.join(result.previous, 'tasks.db'))).toBe(true);
    const reopened = openStores(dataDir);
    expect(reopened.state.pause()).toMatchObject({ paused: true, reason: 'before backup' });
    reopened.close();
  });

  it('refuses a directory that is not a backup, and a corrupt backup, changing nothing', async () => {
    const dataDir = path.join(work, 'data');
    openStores(dataDir).close();
    expect(() => restoreDatabases(dataDir, work, Date.now())).toThrow(UsageError);
    const backup = await backupDatabases(dataDir, path.join(work, 'backups'), Date.now());
    writeFileSync(path.join(backup.path, 'tasks.db'), 'not a database');
    expect(() => restoreDatabases(dataDir, backup.path, Date.now())).toThrow(UsageError);
    expect(readdirSync(dataDir).some((name) => name.startsWith('pre-restore-'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'tasks.db'))).toBe(true);
  });

  it('refuses to back up a data directory without both databases', async () => {
    await expect(backupDatabases(path.join(work, 'empty'), path.join(work, 'backups'), Date.now())).rejects.toThrow(/no tasks\.db in .*nothing to back up yet/);
    expect(existsSync(path.join(work, 'backups'))).toBe(false);
  });

  it('refuses a partial or escaping manifest before moving anything aside', async () => {
    const dataDir = path.join(work, 'data');
    openStores(dataDir).close();
    const backup = await backupDatabases(dataDir, path.join(work, 'backups'), Date.now());
    for (const files of [[], ['tasks.db'], ['../tasks.db', 'escalations.db']]) {
      writeFileSync(path.join(backup.path, 'backup.json'), JSON.stringify({ createdAt: new Date().toISOString(), files }));
      expect(() => restoreDatabases(dataDir, backup.path, Date.now())).toThrow(UsageError);
    }
    expect(readdirSync(dataDir).filter((name) => name.startsWith('pre-restore-') || name.startsWith('.restore-'))).toEqual([]);
  });

  it('keeps backups for keepDays, and always the newest', async () => {
    const dataDir = path.join(work, 'data');
    openStores(dataDir).close();
    const directory = path.join(work, 'backups');
    const day = 86_400_000;
    const start = Date.parse('2026-11-01T00:00:00Z');
    for (let index = 0; index < 10; index++) await backupDatabases(dataDir, directory, start + index * day);
    const removed = pruneBackups(directory, 7, start + 9 * day);
    expect(removed).toHaveLength(2);
    expect(listBackups(directory)).toHaveLength(8);
  });
});
