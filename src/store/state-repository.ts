/** Small persisted settings (the kill switch) and the cycle log. */
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from './database.js';
import { fromSqlTime, toSqlTime } from './time.js';

/** What one detection pass found and what came of it: the summary `run --once` prints. */
export interface CycleRecord {
  kind: 'full' | 'watch';
  startedAt: number;
  durationMs: number;
  checksRun: number;
  issuesDetected: number;
  tasksCreated: number;
  alreadyTracked: number;
  fixes: number;
  escalations: number;
}

export interface PauseState {
  paused: boolean;
  since?: number;
  reason?: string;
  /** Who turned the kill switch on or off last: `token:<name>` (dashboard, API) or `cli:<user>`. */
  by?: string;
}

/** A person's switch of one service's autonomy. */
export interface AutonomyOverride {
  mode: 'act' | 'shadow' | 'off';
  by: string;
  reason?: string;
  at: number;
}

export class StateRepository {
  private dataVersionStatement: Statement | undefined;

  constructor(private readonly database: SqliteDatabase) {}

  pause(): PauseState {
    const row = this.database.prepare(`SELECT value, updated_at FROM state WHERE key = 'pause'`).get() as { value: string; updated_at: string } | undefined;
    if (!row) return { paused: false };
    const value = JSON.parse(row.value) as { paused: boolean; reason?: string; by?: string };
    return { paused: value.paused, since: fromSqlTime(row.updated_at), reason: value.reason, by: value.by };
  }

  /** Turns the kill switch on or off; `by` is who did it (kept with the switch, shown by status and the dashboard). */
  setPause(paused: boolean, at: number, reason?: string, by?: string): void {
    this.database
      .prepare(`INSERT INTO state (key, value, updated_at) VALUES ('pause', ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`)
      .run(JSON.stringify({ paused, reason, by }), toSqlTime(at));
  }

  /** Autonomy switched per service by people (over the config's), by service name. */
  autonomyOverrides(): Map<string, AutonomyOverride> {
    const rows = this.database.prepare(`SELECT key, value, updated_at FROM state WHERE key LIKE 'autonomy:%'`).all() as Array<{ key: string; value: string; updated_at: string }>;
    return new Map(rows.map((row) => [row.key.slice('autonomy:'.length), { ...(JSON.parse(row.value) as Omit<AutonomyOverride, 'at'>), at: fromSqlTime(row.updated_at) }]));
  }

  /** Sets a service's autonomy; undefined removes the override (the config's setting applies again). */
  setAutonomy(service: string, override: Omit<AutonomyOverride, 'at'> | undefined, at: number): void {
    if (override === undefined) {
      this.database.prepare('DELETE FROM state WHERE key = ?').run(`autonomy:${service}`);
      return;
    }
    this.database
      .prepare(`INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`)
      .run(`autonomy:${service}`, JSON.stringify(override), toSqlTime(at));
  }

  /** How the running daemon sees changes (pushed or polled, and through what), for `status`. */
  setWatching(how: string, at: number): void {
    this.database
      .prepare(`INSERT INTO state (key, value, updated_at) VALUES ('watching', ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`)
      .run(JSON.stringify({ how }), toSqlTime(at));
  }

  /** What the running daemon last knew of its fleet (store, reachability, replication backlog), for `status`. */
  setFleetStatus(status: object, at: number): void {
    this.database
      .prepare(`INSERT INTO state (key, value, updated_at) VALUES ('fleet', ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`)
      .run(JSON.stringify(status), toSqlTime(at));
  }

  fleetStatus<T>(): { status: T; at: number } | undefined {
    const row = this.database.prepare(`SELECT value, updated_at FROM state WHERE key = 'fleet'`).get() as { value: string; updated_at: string } | undefined;
    return row ? { status: JSON.parse(row.value) as T, at: fromSqlTime(row.updated_at) } : undefined;
  }

  watching(): { how: string; since: number } | undefined {
    const row = this.database.prepare(`SELECT value, updated_at FROM state WHERE key = 'watching'`).get() as { value: string; updated_at: string } | undefined;
    return row ? { how: (JSON.parse(row.value) as { how: string }).how, since: fromSqlTime(row.updated_at) } : undefined;
  }

  recordCycle(cycle: CycleRecord): void {
    this.database
      .prepare(`INSERT INTO cycles (started_at, kind, duration_ms, checks_run, issues, tasks_created, already_tracked, fixes, escalations) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(
        toSqlTime(cycle.startedAt),
        cycle.kind,
        Math.round(cycle.durationMs),
        cycle.checksRun,
        cycle.issuesDetected,
        cycle.tasksCreated,
        cycle.alreadyTracked,
        cycle.fixes,
        cycle.escalations,
      );
    // Keep the cycle log bounded: a month.
    this.database.prepare(`DELETE FROM cycles WHERE started_at < ?`).run(toSqlTime(cycle.startedAt - 30 * 86_400_000));
  }

  lastCycle(kind: 'full' | 'watch' = 'full'): CycleRecord | undefined {
    const row = this.database.prepare(`SELECT * FROM cycles WHERE kind = ? ORDER BY id DESC LIMIT 1`).get(kind) as
      | {
          started_at: string;
          kind: 'full' | 'watch';
          duration_ms: number;
          checks_run: number;
          issues: number;
          tasks_created: number;
          already_tracked: number;
          fixes: number;
          escalations: number;
        }
      | undefined;
    return (
      row && {
        startedAt: fromSqlTime(row.started_at),
        kind: row.kind,
        durationMs: row.duration_ms,
        checksRun: row.checks_run,
        issuesDetected: row.issues,
        tasksCreated: row.tasks_created,
        alreadyTracked: row.already_tracked,
        fixes: row.fixes,
        escalations: row.escalations,
      }
    );
  }

  /** Changes whenever anything in tasks.db is committed, by this connection or another process: a cheap gate before changeMarker(). */
  dataVersion(): string {
    // Prepared once: the dashboard asks on every overview request.
    this.dataVersionStatement ??= this.database.prepare(`SELECT (SELECT data_version FROM pragma_data_version()) || ':' || total_changes() AS version`).pluck();
    return this.dataVersionStatement.get() as string;
  }

  /**
   * Summaries of tasks.db's tables that change when their rows do; live updates compare them to say what changed.
   * `pause` covers every control: the kill switch, per-service autonomy and silences.
   */
  changeMarker(): { cycles: string; tasks: string; attempts: string; patterns: string; pause: string } {
    return this.database
      .prepare(
        `SELECT (SELECT IFNULL(MAX(id), 0) FROM cycles) || '' AS cycles,
           (SELECT COUNT(*) || '/' || IFNULL(MAX(last_seen), '') || '/' || IFNULL(MAX(closed_at), '') || '/' || TOTAL(IFNULL(phase, 0)) || '/'
              || TOTAL(status IN ('open', 'running')) || '/' || TOTAL(status = 'escalated') || '/' || TOTAL(status = 'fixed') FROM tasks) AS tasks,
           (SELECT IFNULL(MAX(rowid), 0) || '/' || COUNT(finished_at) FROM attempts) AS attempts,
           (SELECT COUNT(*) || '/' || IFNULL(MAX(updated_at), '') FROM patterns) AS patterns,
           IFNULL((SELECT value || updated_at FROM state WHERE key = 'pause'), '') || '/'
             || IFNULL((SELECT group_concat(key || value || updated_at) FROM state WHERE key LIKE 'autonomy:%'), '') || '/'
             || (SELECT COUNT(*) || '/' || IFNULL(MAX(created_at), '') || '/' || COUNT(expired_at) FROM silences) AS pause`,
      )
      .get() as { cycles: string; tasks: string; attempts: string; patterns: string; pause: string };
  }
}
