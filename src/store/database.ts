/** Opens a SQLite file with the settings every store uses (WAL, full sync, foreign keys) and migrates it. */
import Database from 'better-sqlite3';
import path from 'node:path';
import { OrchestratorError } from '../core/errors.js';

export type SqliteDatabase = Database.Database;

/** Ordered schema migrations; the index + 1 is the schema version stored in PRAGMA user_version. */
export type Migrations = readonly string[];

/**
 * The file is not a SQLite database or is damaged (SQLITE_NOTADB, SQLITE_CORRUPT): retrying cannot help, an
 * operator restores a backup. The CLI reports it with exit code 2.
 */
export class UnusableDatabaseError extends OrchestratorError {
  constructor(
    readonly file: string,
    reason: string,
    options: { cause?: unknown } = {},
  ) {
    super(
      'DATABASE_UNUSABLE',
      `${file} is not a usable database (${reason}): restore a backup with "orchestrator restore <backup directory>" ` +
        `(they are under ${path.join(path.dirname(file), 'backups')} unless configured elsewhere) while the daemon is stopped, or move the file aside to start empty`,
      options,
    );
  }
}

/** Whether a SQLite error code says the file itself is damaged or not a database. */
export function isUnusableDatabaseCode(code: unknown): boolean {
  return typeof code === 'string' && (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT'));
}

/**
 * Opens `file` with the settings every store uses and migrates it; a file that is not a database or is corrupt
 * is reported as an UnusableDatabaseError naming the file, not as a raw SqliteError.
 */
export function openDatabase(file: string, migrations: Migrations, options: { readonly?: boolean } = {}): SqliteDatabase {
  let database: SqliteDatabase | undefined;
  try {
    database = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
    database.pragma('busy_timeout = 5000');
    if (!options.readonly) {
      database.pragma('journal_mode = WAL');
      database.pragma('synchronous = FULL');
      database.pragma('foreign_keys = ON');
      migrate(database, migrations);
    }
    return database;
  } catch (error) {
    try {
      database?.close();
    } catch {
      // Closing a connection that failed to open properly: nothing more to release.
    }
    const code = (error as { code?: unknown })?.code;
    if (isUnusableDatabaseCode(code)) throw new UnusableDatabaseError(file, `${String(code)}: ${(error as Error).message}`, { cause: error });
    throw error;
  }
}

function migrate(database: SqliteDatabase, migrations: Migrations): void {
  const current = database.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new OrchestratorError(
      'SCHEMA_TOO_NEW',
      `${database.name} has schema version ${current}, newer than this orchestrator knows (${migrations.length}); upgrade the orchestrator`,
    );
  }
  for (let version = current; version < migrations.length; version++) {
    database.transaction(() => {
      database.exec(migrations[version]!);
      database.pragma(`user_version = ${version + 1}`);
    })();
  }
}
