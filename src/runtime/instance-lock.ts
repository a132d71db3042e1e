/**
 * Keeps a second daemon off the same data directory. The lock is an exclusive SQLite lock on
 * DATA/daemon.lock: the kernel releases it when the process dies, so a crash never leaves a stale lock.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { LockHeldError, OrchestratorError } from '../core/errors.js';
import { isStorageError, storageErrorReason } from '../store/storage-error.js';

export interface InstanceLock {
  release(): void;
}

export function acquireInstanceLock(dataDir: string): InstanceLock {
  const file = join(dataDir, 'daemon.lock');
  const pidFile = join(dataDir, 'daemon.pid');
  const database = new Database(file, { timeout: 0 });
  try {
    database.pragma('locking_mode = EXCLUSIVE');
    database.exec('CREATE TABLE IF NOT EXISTS owner (pid INTEGER)');
    database.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    database.close();
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
      let owner = 'another process';
      try {
        owner = `pid ${readFileSync(pidFile, 'utf8').trim()}`;
      } catch {
        // No pid file: keep the generic word.
      }
      throw new LockHeldError(`another orchestrator (${owner}) is already running on ${dataDir}; stop it first or use another --data-dir`);
    }
    if (isStorageError(error)) {
      throw new OrchestratorError('DATA_DIR', `cannot take the instance lock ${file}: ${storageErrorReason(error)}; free some space and start again`, { cause: error });
    }
    throw error;
  }
  try {
    writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o644 });
  } catch {
    // The pid file only names the owner in messages; the lock itself is held (a full disk must not stop the start).
  }
  return {
    release() {
      try {
        database.exec('ROLLBACK');
      } catch {
        // Already released.
      }
      database.close();
      rmSync(pidFile, { force: true });
    },
  };
}

/** Whether a daemon currently holds the lock (for `status`). */
export function isLockHeld(dataDir: string): boolean {
  try {
    acquireInstanceLock(dataDir).release();
    return false;
  } catch (error) {
    if (error instanceof LockHeldError) return true;
    return false;
  }
}
