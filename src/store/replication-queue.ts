/**
 * What the fleet store has not seen yet: while a fleet store is configured, triggers note each changed row of
 * tasks, attempts, patterns, verdicts, state and last-known-good states (tasks.db), escalations and the outbox
 * (escalations.db) in a replication_queue table beside it,
 * one entry per row however often it changes. The replicator takes entries in order and removes each only if the
 * row has not changed again since it was taken, so no change is lost however the push and a write interleave, and
 * the queue never holds more entries than there are rows. Without a fleet store the triggers are dropped and the
 * queue emptied.
 */
import type { SqliteDatabase } from './database.js';
import type { FleetRowKind } from './fleet/fleet-store.js';

export type ReplicatedTable = 'tasks' | 'attempts' | 'patterns' | 'escalations' | RawTable;
/** Tables whose rows go to the fleet store as they are (a row's columns as JSON), by kind. */
export type RawTable = FleetRowKind;

/** A queued row: `id` is the row's key (patterns: a JSON array of service, signature and plan key). */
export interface QueueEntry {
  table: ReplicatedTable;
  id: string;
  seq: number;
}

/** Each replicated table's key expression (over NEW, the changed row) and its key column for reading rows back. */
const TASKS_DB_TABLES: Record<string, { key: string; column: string; when?: string }> = {
  tasks: { key: 'NEW.id', column: 'id' },
  attempts: { key: 'NEW.id', column: 'id' },
  patterns: { key: 'json_array(NEW.service, NEW.signature, NEW.plan_key)', column: '' },
  verdicts: { key: 'CAST(NEW.id AS TEXT)', column: 'id' },
  // The fleet status the daemon keeps for `status` is about replication itself: not replicated.
  state: { key: 'NEW.key', column: 'key', when: "NEW.key != 'fleet'" },
  service_states: { key: 'CAST(NEW.id AS TEXT)', column: 'id' },
};
const ESCALATIONS_DB_TABLES: Record<string, { key: string; column: string; when?: string }> = {
  escalations: { key: 'NEW.id', column: 'id' },
  outbox: { key: 'CAST(NEW.id AS TEXT)', column: 'id' },
};

export class ReplicationQueue {
  constructor(
    private readonly tasksDb: SqliteDatabase,
    private readonly escalationsDb: SqliteDatabase,
  ) {}

  /**
   * Creates the triggers and queues existing rows: of every table (`all`: `store migrate`), or of the tables whose
   * triggers are new (`new`: a host joining, or an upgrade that replicates one more table).
   */
  enable(options: { backfill: 'all' | 'new' }): void {
    for (const [database, tables] of this.databases()) {
      database.transaction(() => {
        for (const [table, { key, when }] of Object.entries(tables)) {
          const existed = database.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?`).get(`replicate_${table}_insert`) !== undefined;
          for (const event of ['INSERT', 'UPDATE']) {
            database.exec(
              `CREATE TRIGGER IF NOT EXISTS replicate_${table}_${event.toLowerCase()} AFTER ${event} ON ${table}${when ? ` WHEN ${when}` : ''} BEGIN
                 INSERT INTO replication_queue (tbl, id, seq) VALUES ('${table}', ${key}, (SELECT IFNULL(MAX(seq), 0) + 1 FROM replication_queue))
                 ON CONFLICT (tbl, id) DO UPDATE SET seq = excluded.seq;
               END`,
            );
          }
          if (options.backfill === 'all' || !existed) {
            database.exec(
              `INSERT INTO replication_queue (tbl, id, seq)
               SELECT '${table}', ${key.replaceAll('NEW.', '')}, (SELECT IFNULL(MAX(seq), 0) FROM replication_queue) + ROW_NUMBER() OVER () FROM ${table} WHERE ${when ? when.replaceAll('NEW.', '') : '1'}
               ON CONFLICT (tbl, id) DO NOTHING`,
            );
          }
        }
      })();
    }
  }

  /** Drops the triggers and empties the queue: this host is on its own again. */
  disable(): void {
    for (const [database, tables] of this.databases()) {
      database.transaction(() => {
        for (const table of Object.keys(tables)) for (const event of ['insert', 'update']) database.exec(`DROP TRIGGER IF EXISTS replicate_${table}_${event}`);
        database.exec('DELETE FROM replication_queue');
      })();
    }
  }

  /** Whether the triggers are in place. */
  enabled(): boolean {
    return this.tasksDb.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'replicate_tasks_insert'`).get() !== undefined;
  }

  /** Up to `limit` entries of each database, oldest change first. */
  take(limit: number): QueueEntry[] {
    return this.databases().flatMap(([database]) => database.prepare('SELECT tbl AS "table", id, seq FROM replication_queue ORDER BY seq LIMIT ?').all(limit) as QueueEntry[]);
  }

  /** Removes entries that were pushed, unless their row changed again since they were taken. */
  done(entries: readonly QueueEntry[]): void {
    for (const [database, tables] of this.databases()) {
      const mine = entries.filter((entry) => entry.table in tables);
      if (mine.length === 0) continue;
      const remove = database.prepare('DELETE FROM replication_queue WHERE tbl = ? AND id = ? AND seq = ?');
      database.transaction(() => {
        for (const entry of mine) remove.run(entry.table, entry.id, entry.seq);
      })();
    }
  }

  /** Rows of a table replicated as they are, by their keys (those gone since they were queued are left out). */
  rawRows(table: RawTable, keys: readonly string[]): Array<{ id: string; row: Record<string, unknown> }> {
    const [database, tables] = this.databases().find(([, candidates]) => table in candidates)!;
    const column = tables[table]!.column;
    const select = database.prepare(`SELECT * FROM ${table} WHERE CAST(${column} AS TEXT) = ?`);
    return keys.flatMap((id) => {
      const row = select.get(id) as Record<string, unknown> | undefined;
      return row ? [{ id, row }] : [];
    });
  }

  /** How many rows wait to be replicated. */
  backlog(): number {
    return this.databases().reduce((sum, [database]) => sum + (database.prepare('SELECT COUNT(*) FROM replication_queue').pluck().get() as number), 0);
  }

  private databases(): Array<[SqliteDatabase, Record<string, { key: string; column: string; when?: string }>]> {
    return [
      [this.tasksDb, TASKS_DB_TABLES],
      [this.escalationsDb, ESCALATIONS_DB_TABLES],
    ];
  }
}
