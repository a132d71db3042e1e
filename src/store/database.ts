/** Opens a SQLite file with the settings every store uses (WAL, full sync, foreign keys) and migrates it. */
import Database from 'better-sqlite3';
import { mkdirSync, accessSync, constants, statSync } from 'node:fs';
import { OrchestratorError } from '../core/errors.js';

export type SqliteDatabase = Database.Database;

/** Ordered schema migrations; the index + 1 is the schema version stored in PRAGMA user_version. */
export type Migrations = readonly string[];

export function openDatabase(file: string, migrations: Migrations, options: { readonly?: boolean } = {}): SqliteDatabase {
  const database = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  database.pragma('busy_timeout = 5000');
  if (!options.readonly) {
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = FULL');
    database.pragma('foreign_keys = ON');
    migrate(database, migrations);
  }
  return database;
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

/** Creates the data directory with mode 0700 when missing; a clear error when it cannot be written. */
export function prepareDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new OrchestratorError('DATA_DIR', `cannot create data directory ${dataDir}: ${(error as Error).message}`, { cause: error });
  }
  if (!statSync(dataDir).isDirectory()) {
    throw new OrchestratorError('DATA_DIR', `data directory ${dataDir} is not a directory`);
  }
  try {
    accessSync(dataDir, constants.W_OK | constants.R_OK | constants.X_OK);
  } catch {
    throw new OrchestratorError('DATA_DIR', `data directory ${dataDir} is not writable by this user (uid ${process.getuid?.()})`);
  }
}
