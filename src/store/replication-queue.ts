/**
 * What the fleet store has not seen yet: while a fleet store is configured, triggers note each changed row of
 * tasks, attempts and patterns (tasks.db) and escalations (escalations.db) in a replication_queue table beside it,
 * one entry per row however often it changes. The replicator takes entries in order and removes each only if the
 * row has not changed again since it was taken, so no change is lost however the push and a write interleave, and
 * the queue never holds more entries than there are rows. Without a fleet store the triggers are dropped and the
 * queue emptied.
 */
import type { SqliteDatabase } from './database.js';

export type ReplicatedTable = 'tasks' | 'attempts' | 'patterns' | 'escalations';

/** A queued row: `id` is the row's key (patterns: a JSON array of service, signature and plan key). */
export interface QueueEntry {
  table: ReplicatedTable;
  id: string;
  seq: number;
}

const TASKS_DB_TABLES: Record<Exclude<ReplicatedTable, 'escalations'>, string> = {
  tasks: 'NEW.id',
  attempts: 'NEW.id',
  patterns: 'json_array(NEW.service, NEW.signature, NEW.plan_key)',
};
const ESCALATIONS_DB_TABLES: Record<'escalations', string> = { escalations: 'NEW.id' };

export class ReplicationQueue {
  constructor(
    private readonly tasksDb: SqliteDatabase,
    private readonly escalationsDb: SqliteDatabase,
  ) {}

  /** Creates the triggers; `backfill` also queues every existing row (the first sync, `store migrate`). */
  enable(options: { backfill: boolean }): void {
    for (const [database, tables] of this.databases()) {
      database.transaction(() => {
        for (const [table, key] of Object.entries(tables)) {
          for (const event of ['INSERT', 'UPDATE']) {
            database.exec(
              `CREATE TRIGGER IF NOT EXISTS replicate_${table}_${event.toLowerCase()} AFTER ${event} ON ${table} BEGIN
                 INSERT INTO replication_queue (tbl, id, seq) VALUES ('${table}', ${key}, (SELECT IFNULL(MAX(seq), 0) + 1 FROM replication_queue))
                 ON CONFLICT (tbl, id) DO UPDATE SET seq = excluded.seq;
               END`,
            );
          }
          if (options.backfill) {
            database.exec(
              `INSERT INTO replication_queue (tbl, id, seq)
               SELECT '${table}', ${key.replaceAll('NEW.', '')}, (SELECT IFNULL(MAX(seq), 0) FROM replication_queue) + ROW_NUMBER() OVER () FROM ${table} WHERE 1
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

  /** How many rows wait to be replicated. */
  backlog(): number {
    return this.databases().reduce((sum, [database]) => sum + (database.prepare('SELECT COUNT(*) FROM replication_queue').pluck().get() as number), 0);
  }

  private databases(): Array<[SqliteDatabase, Record<string, string>]> {
    return [
      [this.tasksDb, TASKS_DB_TABLES],
      [this.escalationsDb, ESCALATIONS_DB_TABLES],
    ];
  }
}
