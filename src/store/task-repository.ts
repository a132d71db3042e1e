/** Tasks: one per tracked fault (fingerprint), with its lifecycle and outcome. All task SQL lives here. */
import type { SqliteDatabase } from './database.js';
import type { Evidence, Phase, Symptom, Task, TaskStatus } from '../core/types.js';
import { TRACKING_STATUSES } from '../core/types.js';
import { fromSqlTime, fromSqlTimeOrNull, toSqlTime, toSqlTimeOrNull } from './time.js';

interface TaskRow {
  id: string;
  fingerprint: string;
  service: string;
  unit: string | null;
  check_id: string;
  symptom: string;
  signature: string;
  status: string;
  phase: number | null;
  message: string;
  evidence: string;
  detected_at: string;
  last_seen: string;
  occurrences: number;
  closed_at: string | null;
  fix_successful: number;
  fixed_by_phase: number | null;
  duration_ms: number | null;
  reason: string | null;
}

export interface TaskFilter {
  status?: TaskStatus;
  service?: string;
  limit?: number;
}

/** How a task ended (or not), as the dashboard filters it: open covers open and running. */
export const TASK_OUTCOMES = ['fixed', 'escalated', 'recovered', 'open', 'ignored'] as const;
export type TaskOutcome = (typeof TASK_OUTCOMES)[number];

/** The dashboard's task filter: phase is the phase that fixed it, else the phase it reached. */
export interface TaskSearch {
  service?: string;
  phase?: Phase;
  outcome?: TaskOutcome;
  sinceMs?: number;
  limit: number;
}

/** Tasks detected on one UTC day and how many were fixed or needed a human. */
export interface DailyCounts {
  day: string;
  total: number;
  fixed: number;
  escalated: number;
}

/** A verified fix, for the time-to-recovery chart. */
export interface RecoveryPoint {
  at: number;
  durationMs: number;
  service: string;
  phase: Phase | null;
}

const OUTCOME_SQL: Record<TaskOutcome, string> = {
  fixed: `status = 'fixed'`,
  escalated: `status = 'escalated'`,
  recovered: `status = 'recovered'`,
  open: `status IN ('open', 'running')`,
  ignored: `status = 'ignored'`,
};

/** Where the tasks detected in a window ended up, as the dashboard's funnel shows it. */
export interface TaskOutcomeCounts {
  total: number;
  fixedByPhase: Record<string, number>;
  /** Escalated to a person: still escalated, or escalated once and closed since (listed in `escalatedIds`). */
  escalated: number;
  /** Healthy again without a fix of ours and without a person. */
  recovered: number;
  /** Still open or being worked on. */
  pending: number;
}

export interface TaskStats {
  total: number;
  fixed: number;
  fixedByPhase: Record<string, number>;
  escalated: number;
  pending: number;
  ignored: number;
  recovered: number;
  medianRecoveryMs: number | null;
}

const TRACKING_SQL = TRACKING_STATUSES.map((status) => `'${status}'`).join(', ');

export class TaskRepository {
  constructor(private readonly database: SqliteDatabase) {}

  create(task: Task): void {
    this.database
      .prepare(
        `INSERT INTO tasks (id, fingerprint, service, unit, check_id, symptom, signature, status, phase, message, evidence,
           detected_at, last_seen, occurrences, closed_at, fix_successful, fixed_by_phase, duration_ms, reason)
         VALUES (@id, @fingerprint, @service, @unit, @check_id, @symptom, @signature, @status, @phase, @message, @evidence,
           @detected_at, @last_seen, @occurrences, @closed_at, @fix_successful, @fixed_by_phase, @duration_ms, @reason)`,
      )
      .run(toRow(task));
  }

  get(id: string): Task | undefined {
    const row = this.database.prepare('SELECT * FROM tasks WHERE id = ?').get(id) as TaskRow | undefined;
    return row && fromRow(row);
  }

  /** Finds a task by id or by a unique id prefix (as typed by an operator). */
  findByIdPrefix(prefix: string): Task[] {
    const rows = this.database.prepare(`SELECT * FROM tasks WHERE id LIKE ? ESCAPE '\\' LIMIT 2`).all(`${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`) as TaskRow[];
    return rows.map(fromRow);
  }

  /** The task that currently tracks this fingerprint, if any. */
  findTracking(fingerprint: string): Task | undefined {
    const row = this.database.prepare(`SELECT * FROM tasks WHERE fingerprint = ? AND status IN (${TRACKING_SQL}) ORDER BY detected_at DESC LIMIT 1`).get(fingerprint) as
      TaskRow | undefined;
    return row && fromRow(row);
  }

  listTracking(): Task[] {
    return (this.database.prepare(`SELECT * FROM tasks WHERE status IN (${TRACKING_SQL}) ORDER BY detected_at`).all() as TaskRow[]).map(fromRow);
  }

  list(filter: TaskFilter = {}): Task[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.status) {
      where.push('status = ?');
      params.push(filter.status);
    }
    if (filter.service) {
      where.push('service = ?');
      params.push(filter.service);
    }
    const sql = `SELECT * FROM tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY detected_at DESC LIMIT ?`;
    return (this.database.prepare(sql).all(...params, filter.limit ?? 50) as TaskRow[]).map(fromRow);
  }

  /** Refreshes last_seen of an already tracked task. */
  touch(id: string, at: number): void {
    this.database.prepare('UPDATE tasks SET last_seen = ? WHERE id = ?').run(toSqlTime(at), id);
  }

  /** Replaces the task's evidence (the drift found when remediation began is added to it). */
  setEvidence(id: string, evidence: Evidence): void {
    this.database.prepare('UPDATE tasks SET evidence = ? WHERE id = ?').run(JSON.stringify(evidence), id);
  }

  setStatus(id: string, status: TaskStatus, phase: Phase | null, reason?: string): void {
    this.database.prepare('UPDATE tasks SET status = ?, phase = ?, reason = COALESCE(?, reason) WHERE id = ?').run(status, phase, reason ?? null, id);
  }

  /** Ends a task: fixed (verified), recovered (healed without us) or escalated. */
  finish(id: string, outcome: { status: TaskStatus; fixSuccessful: boolean; fixedByPhase: Phase | null; closedAt: number | null; durationMs: number; reason: string }): void {
    this.database
      .prepare(`UPDATE tasks SET status = ?, fix_successful = ?, fixed_by_phase = ?, closed_at = ?, duration_ms = ?, reason = ? WHERE id = ?`)
      .run(outcome.status, outcome.fixSuccessful ? 1 : 0, outcome.fixedByPhase, toSqlTimeOrNull(outcome.closedAt), outcome.durationMs, outcome.reason, id);
  }

  /** Tasks that were mid-remediation when a previous daemon died: back to open, to be re-checked first. */
  reopenInterrupted(): string[] {
    const ids = (this.database.prepare(`SELECT id FROM tasks WHERE status = 'running'`).all() as Array<{ id: string }>).map((row) => row.id);
    this.database.prepare(`UPDATE tasks SET status = 'open', reason = 'resumed after the daemon restarted' WHERE status = 'running'`).run();
    return ids;
  }

  stats(sinceMs: number): TaskStats {
    const since = toSqlTime(sinceMs);
    const totals = this.database
      .prepare(
        `SELECT COUNT(*) AS total, COALESCE(SUM(fix_successful), 0) AS fixed,
           SUM(status = 'escalated') AS escalated, SUM(status IN ('open', 'running')) AS pending,
           SUM(status = 'ignored') AS ignored, SUM(status = 'recovered') AS recovered
         FROM tasks WHERE detected_at > ?`,
      )
      .get(since) as Record<string, number | null>;
    const byPhase = this.database
      .prepare(`SELECT fixed_by_phase AS phase, COUNT(*) AS count FROM tasks WHERE detected_at > ? AND fix_successful = 1 GROUP BY fixed_by_phase`)
      .all(since) as Array<{ phase: number; count: number }>;
    const durations = (
      this.database.prepare(`SELECT duration_ms FROM tasks WHERE detected_at > ? AND fix_successful = 1 AND duration_ms IS NOT NULL ORDER BY duration_ms`).all(since) as Array<{
        duration_ms: number;
      }>
    ).map((row) => row.duration_ms);
    return {
      total: totals.total ?? 0,
      fixed: totals.fixed ?? 0,
      fixedByPhase: Object.fromEntries(byPhase.map((row) => [String(row.phase), row.count])),
      escalated: totals.escalated ?? 0,
      pending: totals.pending ?? 0,
      ignored: totals.ignored ?? 0,
      recovered: totals.recovered ?? 0,
      medianRecoveryMs: durations.length ? durations[Math.floor(durations.length / 2)]! : null,
    };
  }

  // Read-side queries for the dashboard and the metrics (aggregates only; the write path never uses them).

  /** The dashboard's filtered task list, newest first. */
  search(filter: TaskSearch): Task[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.service) {
      where.push('service = ?');
      params.push(filter.service);
    }
    if (filter.phase) {
      where.push('COALESCE(fixed_by_phase, phase) = ?');
      params.push(filter.phase);
    }
    if (filter.outcome) where.push(OUTCOME_SQL[filter.outcome]);
    if (filter.sinceMs !== undefined) {
      where.push('detected_at >= ?');
      params.push(toSqlTime(filter.sinceMs));
    }
    const sql = `SELECT * FROM tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY detected_at DESC LIMIT ?`;
    return (this.database.prepare(sql).all(...params, filter.limit) as TaskRow[]).map(fromRow);
  }

  /**
   * The tasks detected since `sinceMs`, in one pass: where they ended (the funnel) and per UTC day how many were
   * detected, fixed and escalated (the rate chart). `escalatedIds` are tasks that reached a person, including
   * those whose escalation was closed since (their status moved on).
   */
  windowCounts(sinceMs: number, escalatedIds: readonly string[] = []): { outcomes: TaskOutcomeCounts; daily: DailyCounts[] } {
    const rows = this.database
      .prepare(
        `WITH escalated(id) AS (SELECT value FROM json_each(?))
         SELECT substr(detected_at, 1, 10) AS day,
                CASE WHEN fix_successful = 1 THEN 'fixed:' || IFNULL(fixed_by_phase, '')
                     WHEN status = 'escalated' OR id IN escalated THEN 'escalated'
                     WHEN status IN ('open', 'running') THEN 'pending'
                     ELSE status END AS outcome,
                COUNT(*) AS count
         FROM tasks WHERE detected_at >= ? GROUP BY day, outcome ORDER BY day`,
      )
      .all(JSON.stringify(escalatedIds), toSqlTime(sinceMs)) as Array<{ day: string; outcome: string; count: number }>;
    const outcomes: TaskOutcomeCounts = { total: 0, fixedByPhase: {}, escalated: 0, recovered: 0, pending: 0 };
    const daily = new Map<string, DailyCounts>();
    for (const { day, outcome, count } of rows) {
      const counts = daily.get(day) ?? { day, total: 0, fixed: 0, escalated: 0 };
      daily.set(day, counts);
      counts.total += count;
      outcomes.total += count;
      if (outcome.startsWith('fixed:')) {
        const phase = outcome.slice('fixed:'.length);
        outcomes.fixedByPhase[phase] = (outcomes.fixedByPhase[phase] ?? 0) + count;
        counts.fixed += count;
      } else if (outcome === 'escalated') {
        outcomes.escalated += count;
        counts.escalated += count;
      } else if (outcome === 'recovered' || outcome === 'pending') {
        outcomes[outcome] += count;
      }
    }
    return { outcomes, daily: [...daily.values()] };
  }

  /** Every service that ever had a task, with the last time one of its tasks was seen. */
  lastSeenByService(): Array<{ service: string; lastSeen: number }> {
    const rows = this.database.prepare('SELECT service, MAX(last_seen) AS last_seen FROM tasks GROUP BY service').all() as Array<{ service: string; last_seen: string }>;
    return rows.map((row) => ({ service: row.service, lastSeen: fromSqlTime(row.last_seen) }));
  }

  /** The last `limit` verified fixes, oldest first. */
  recentFixes(limit: number): RecoveryPoint[] {
    const rows = this.database
      .prepare(
        `SELECT closed_at, duration_ms, service, fixed_by_phase FROM tasks
         WHERE fix_successful = 1 AND closed_at IS NOT NULL AND duration_ms IS NOT NULL ORDER BY closed_at DESC LIMIT ?`,
      )
      .all(limit) as Array<{ closed_at: string; duration_ms: number; service: string; fixed_by_phase: number | null }>;
    return rows.reverse().map((row) => ({ at: fromSqlTime(row.closed_at), durationMs: row.duration_ms, service: row.service, phase: row.fixed_by_phase as Phase | null }));
  }

  /** Task counts by status and fixing phase (null when not fixed), for the metrics. */
  countByStatusAndPhase(): Array<{ status: TaskStatus; phase: Phase | null; count: number }> {
    const sql = 'SELECT status, fixed_by_phase AS phase, COUNT(*) AS count FROM tasks GROUP BY status, fixed_by_phase';
    return this.database.prepare(sql).all() as Array<{ status: TaskStatus; phase: Phase | null; count: number }>;
  }
}

function toRow(task: Task): TaskRow {
  return {
    id: task.id,
    fingerprint: task.fingerprint,
    service: task.service,
    unit: task.unit,
    check_id: task.checkId,
    symptom: task.symptom,
    signature: task.signature,
    status: task.status,
    phase: task.phase,
    message: task.message,
    evidence: JSON.stringify(task.evidence),
    detected_at: toSqlTime(task.detectedAt),
    last_seen: toSqlTime(task.lastSeen),
    occurrences: task.occurrences,
    closed_at: toSqlTimeOrNull(task.closedAt),
    fix_successful: task.fixSuccessful ? 1 : 0,
    fixed_by_phase: task.fixedByPhase,
    duration_ms: task.durationMs,
    reason: task.reason,
  };
}

function fromRow(row: TaskRow): Task {
  return {
    id: row.id,
    fingerprint: row.fingerprint,
    service: row.service,
    unit: row.unit,
    checkId: row.check_id,
    symptom: row.symptom as Symptom,
    signature: row.signature,
    status: row.status as TaskStatus,
    phase: row.phase as Phase | null,
    message: row.message,
    evidence: JSON.parse(row.evidence) as Evidence,
    detectedAt: fromSqlTime(row.detected_at),
    lastSeen: fromSqlTime(row.last_seen),
    occurrences: row.occurrences,
    closedAt: fromSqlTimeOrNull(row.closed_at),
    fixSuccessful: row.fix_successful === 1,
    fixedByPhase: row.fixed_by_phase as Phase | null,
    durationMs: row.duration_ms,
    reason: row.reason,
  };
}
