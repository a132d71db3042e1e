/** Tasks: one per tracked fault (fingerprint), with its lifecycle and outcome. All task SQL lives here. */
import type { SqliteDatabase } from './database.js';
import type { Evidence, Phase, Symptom, Task, TaskStatus } from '../core/types.js';
import { TRACKING_STATUSES } from '../core/types.js';
import { fromSqlTime, fromSqlTimeOrNull, toSqlTime, toSqlTimeOrNull } from './time.js';
import { ESCALATED_CTE, OUTCOME_SQL, countOutcomes, recoveryMs, type OutcomeCounts, type OutcomeRow, type TaskOutcome } from './task-outcomes.js';

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

/** The dashboard's task filter: phase is the phase that fixed it, else the phase it reached. */
export interface TaskSearch {
  service?: string;
  phase?: Phase;
  outcome?: TaskOutcome;
  sinceMs?: number;
  limit: number;
}

/** A task with its outcome and time to recovery (task-outcomes.ts), as the dashboard lists it. */
export type TaskWithOutcome = Task & { outcome: TaskOutcome; recoveryMs: number | null };

/** Tasks detected on one UTC day and how many were fixed or needed a human. */
export interface DailyCounts {
  day: string;
  total: number;
  fixed: number;
  escalated: number;
}

/** A task that ended healthy (fixed, or recovered with phase null), for the time-to-recovery chart. */
export interface RecoveryPoint {
  at: number;
  durationMs: number;
  service: string;
  phase: Phase | null;
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

  // Read-side queries for the dashboard and the metrics (aggregates only; the write path never uses them).

  /**
   * The dashboard's filtered task list, newest first, each with its outcome (task-outcomes.ts); `escalatedIds`
   * are the tasks an escalation lists (all of them: a filter by outcome needs every one).
   */
  search(filter: TaskSearch, escalatedIds: readonly string[]): TaskWithOutcome[] {
    const where: string[] = [];
    const params: unknown[] = [JSON.stringify(escalatedIds)];
    if (filter.service) {
      where.push('service = ?');
      params.push(filter.service);
    }
    if (filter.phase) {
      where.push('COALESCE(fixed_by_phase, phase) = ?');
      params.push(filter.phase);
    }
    if (filter.outcome) {
      where.push('outcome = ?');
      params.push(filter.outcome);
    }
    if (filter.sinceMs !== undefined) {
      where.push('detected_at >= ?');
      params.push(toSqlTime(filter.sinceMs));
    }
    const sql = `WITH ${ESCALATED_CTE}, judged AS (SELECT *, ${OUTCOME_SQL} AS outcome FROM tasks)
      SELECT * FROM judged ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY detected_at DESC LIMIT ?`;
    const rows = this.database.prepare(sql).all(...params, filter.limit) as Array<TaskRow & { outcome: TaskOutcome }>;
    return rows.map((row) => {
      const task = fromRow(row);
      return { ...task, outcome: row.outcome, recoveryMs: recoveryMs(task, row.outcome) };
    });
  }

  /**
   * The tasks detected after `sinceMs` (strictly, as the monitoring query's `detected_at > datetime(...)`), in one
   * pass, by outcome (task-outcomes.ts: `escalatedIds` are the tasks an escalation lists) and per UTC day how many
   * were detected, fixed and escalated (the rate chart).
   */
  outcomeCounts(sinceMs: number, escalatedIds: readonly string[]): { counts: OutcomeCounts; daily: DailyCounts[] } {
    const rows = this.database
      .prepare(
        `WITH ${ESCALATED_CTE}
         SELECT substr(detected_at, 1, 10) AS day, ${OUTCOME_SQL} AS outcome, status, fixed_by_phase AS fixedByPhase, COUNT(*) AS count
         FROM tasks WHERE detected_at > ? GROUP BY day, outcome, status, fixed_by_phase ORDER BY day`,
      )
      .all(JSON.stringify(escalatedIds), toSqlTime(sinceMs)) as Array<OutcomeRow & { day: string }>;
    const recoveries = this.database
      .prepare(
        `WITH ${ESCALATED_CTE}
         SELECT duration_ms FROM tasks WHERE detected_at > ? AND closed_at IS NOT NULL AND duration_ms IS NOT NULL AND (${OUTCOME_SQL}) IN ('fixed', 'recovered')`,
      )
      .pluck()
      .all(JSON.stringify(escalatedIds), toSqlTime(sinceMs)) as number[];
    const daily = new Map<string, DailyCounts>();
    for (const { day, outcome, count } of rows) {
      const counts = daily.get(day) ?? { day, total: 0, fixed: 0, escalated: 0 };
      daily.set(day, counts);
      counts.total += count;
      if (outcome === 'fixed') counts.fixed += count;
      if (outcome === 'escalated') counts.escalated += count;
    }
    return { counts: countOutcomes(rows, recoveries), daily: [...daily.values()] };
  }

  /** Every task ever, by service and outcome (task-outcomes.ts), for the metrics. */
  outcomesByService(escalatedIds: readonly string[]): Array<OutcomeRow & { service: string }> {
    const sql = `WITH ${ESCALATED_CTE}
      SELECT service, ${OUTCOME_SQL} AS outcome, status, fixed_by_phase AS fixedByPhase, COUNT(*) AS count FROM tasks GROUP BY service, outcome, status, fixed_by_phase`;
    return this.database.prepare(sql).all(JSON.stringify(escalatedIds)) as Array<OutcomeRow & { service: string }>;
  }

  /** Every service that ever had a task, with the last time one of its tasks was seen. */
  lastSeenByService(): Array<{ service: string; lastSeen: number }> {
    const rows = this.database.prepare('SELECT service, MAX(last_seen) AS last_seen FROM tasks GROUP BY service').all() as Array<{ service: string; last_seen: string }>;
    return rows.map((row) => ({ service: row.service, lastSeen: fromSqlTime(row.last_seen) }));
  }

  /** The last `limit` tasks that ended healthy (fixed, or recovered: phase null), oldest first. */
  recentRecoveries(limit: number, escalatedIds: readonly string[]): RecoveryPoint[] {
    const rows = this.database
      .prepare(
        `WITH ${ESCALATED_CTE}
         SELECT closed_at, duration_ms, service, fixed_by_phase FROM tasks
         WHERE closed_at IS NOT NULL AND duration_ms IS NOT NULL AND (${OUTCOME_SQL}) IN ('fixed', 'recovered') ORDER BY closed_at DESC LIMIT ?`,
      )
      .all(JSON.stringify(escalatedIds), limit) as Array<{ closed_at: string; duration_ms: number; service: string; fixed_by_phase: number | null }>;
    return rows.reverse().map((row) => ({ at: fromSqlTime(row.closed_at), durationMs: row.duration_ms, service: row.service, phase: row.fixed_by_phase as Phase | null }));
  }

  /** Task counts by service, status and fixing phase (null when not fixed), for the metrics. */
  countByStatusAndPhase(): Array<{ service: string; status: TaskStatus; phase: Phase | null; count: number }> {
    const sql = 'SELECT service, status, fixed_by_phase AS phase, COUNT(*) AS count FROM tasks GROUP BY service, status, fixed_by_phase';
    return this.database.prepare(sql).all() as Array<{ service: string; status: TaskStatus; phase: Phase | null; count: number }>;
  }

  /** Tasks ever opened, by service: distinct faults, for the metrics. */
  countByService(): Array<{ service: string; count: number }> {
    return this.database.prepare('SELECT service, COUNT(*) AS count FROM tasks GROUP BY service').all() as Array<{ service: string; count: number }>;
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
