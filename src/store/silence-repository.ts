/** Silences added by people (CLI, API, dashboard), in tasks.db's silences table; ended ones stay as history. */
import type { SqliteDatabase } from './database.js';
import type { LabelMatcher } from '../core/label-matchers.js';
import type { WeeklyWindow } from '../core/schedule.js';
import { fromSqlTime, fromSqlTimeOrNull, toSqlTime } from './time.js';

export interface Silence {
  id: string;
  matchers: LabelMatcher[];
  startsAt: number;
  endsAt: number;
  /** A recurring silence holds only inside this weekly window (between startsAt and endsAt). */
  schedule: WeeklyWindow | null;
  author: string;
  comment: string;
  createdAt: number;
  expiredAt: number | null;
  expiredBy: string | null;
}

interface SilenceRow {
  id: string;
  matchers: string;
  starts_at: string;
  ends_at: string;
  schedule: string | null;
  author: string;
  comment: string;
  created_at: string;
  expired_at: string | null;
  expired_by: string | null;
}

/** Ended silences kept as history; older ones are removed when a new one is added. */
const HISTORY_KEPT = 1000;
/** Silences in force at once: far more than anyone needs, so a runaway script cannot fill the table. */
export const MAX_ACTIVE_SILENCES = 500;

export class SilenceRepository {
  constructor(private readonly database: SqliteDatabase) {}

  add(silence: Omit<Silence, 'expiredAt' | 'expiredBy'>): Silence {
    this.database.transaction(() => {
      this.database
        .prepare('INSERT INTO silences (id, matchers, starts_at, ends_at, schedule, author, comment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(
          silence.id,
          JSON.stringify(silence.matchers),
          toSqlTime(silence.startsAt),
          toSqlTime(silence.endsAt),
          silence.schedule ? JSON.stringify(silence.schedule) : null,
          silence.author,
          silence.comment,
          toSqlTime(silence.createdAt),
        );
      this.database
        .prepare(`DELETE FROM silences WHERE id IN (SELECT id FROM silences WHERE expired_at IS NOT NULL OR ends_at <= ? ORDER BY created_at DESC LIMIT -1 OFFSET ?)`)
        .run(toSqlTime(silence.createdAt), HISTORY_KEPT);
    })();
    return { ...silence, expiredAt: null, expiredBy: null };
  }

  get(id: string): Silence | undefined {
    const row = this.database.prepare('SELECT * FROM silences WHERE id = ?').get(id) as SilenceRow | undefined;
    return row && toSilence(row);
  }

  /** Silences not expired and not ended at `at` (including those that start later), newest first. */
  current(at: number): Silence[] {
    const rows = this.database.prepare('SELECT * FROM silences WHERE expired_at IS NULL AND ends_at > ? ORDER BY created_at DESC').all(toSqlTime(at)) as SilenceRow[];
    return rows.map(toSilence);
  }

  /** Every silence, newest first (at most `limit`). */
  all(limit = 200): Silence[] {
    const rows = this.database.prepare('SELECT * FROM silences ORDER BY created_at DESC LIMIT ?').all(limit) as SilenceRow[];
    return rows.map(toSilence);
  }

  countCurrent(at: number): number {
    return (this.database.prepare('SELECT COUNT(*) AS count FROM silences WHERE expired_at IS NULL AND ends_at > ?').get(toSqlTime(at)) as { count: number }).count;
  }

  /** Ends a silence now; false when it had already ended. */
  expire(id: string, by: string, at: number): boolean {
    const result = this.database
      .prepare('UPDATE silences SET expired_at = ?, expired_by = ? WHERE id = ? AND expired_at IS NULL AND ends_at > ?')
      .run(toSqlTime(at), by, id, toSqlTime(at));
    return result.changes > 0;
  }
}

function toSilence(row: SilenceRow): Silence {
  return {
    id: row.id,
    matchers: JSON.parse(row.matchers) as LabelMatcher[],
    startsAt: fromSqlTime(row.starts_at),
    endsAt: fromSqlTime(row.ends_at),
    schedule: row.schedule ? (JSON.parse(row.schedule) as WeeklyWindow) : null,
    author: row.author,
    comment: row.comment,
    createdAt: fromSqlTime(row.created_at),
    expiredAt: fromSqlTimeOrNull(row.expired_at),
    expiredBy: row.expired_by,
  };
}
