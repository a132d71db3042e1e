/** Opens a SQLite file with the settings every store uses (WAL, full sync, foreign keys) and migrates it. */
import Database from 'better-sqlite3';
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
