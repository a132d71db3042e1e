/**
 * Escalations: what the automation could not fix, for a human. One per fault: a task that fails again
 * (flapping) or a task with the same cause (a dependency, a full disk) joins the open escalation instead of
 * making another. Statuses: open → acknowledged → resolved, or auto_resolved. All escalation SQL lives here.
 */
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from './database.js';
import type { Action, Attempt, Evidence } from '../core/types.js';
import { fromSqlTime, fromSqlTimeOrNull, toSqlTime, toSqlTimeOrNull } from './time.js';

export const ESCALATION_STATUSES = ['open', 'acknowledged', 'resolved', 'auto_resolved'] as const;
export type EscalationStatus = (typeof ESCALATION_STATUSES)[number];
export const ACTIVE_ESCALATION_STATUSES: readonly EscalationStatus[] = ['open', 'acknowledged'];

export interface Escalation {
  id: string;
  /** The task that opened it; later tasks of the same fault are in taskIds. */
  taskId: string;
  taskIds: string[];
  fingerprint: string;
  service: string;
  unit: string | null;
  symptom: string;
  signature: string;
  /** What it is grouped by: unit:<name> for a service and its dependents, host:disk ... */
  causeKey: string | null;
  /** Other services grouped under this escalation. */
  grouped: string[];
  reason: string;
  evidence: Evidence;
  attempts: Attempt[];
  /** The agents' verdicts, one line each. */
  hypotheses: string[];
  status: EscalationStatus;
  occurrences: number;
  createdAt: number;
  updatedAt: number;
  acknowledgedAt: number | null;
  resolvedAt: number | null;
  /** How it ended: "auto-resolved: healthy for 3 cycles", "resolved by a human" ... */
  resolution: string | null;
  /** A human's free-text note. */
  note: string | null;
  /** Catalog actions a human said fixed it (learned). */
  fixes: Action[];
  reminders: number;
  lastNotifiedAt: number | null;
  /** A human asked (`escalation retry`, the dashboard) for the job to be finished now; the daemon clears it. */
  retryRequestedAt?: number | null;
  /** Who acknowledged it: `token:<name>` from the dashboard or API, `cli:<user>` from the CLI. */
  acknowledgedBy?: string | null;
  /** Who resolved it (as acknowledgedBy), or "orchestrator" when it resolved itself. */
  resolvedBy?: string | null;
  /** Who last asked for a retry (kept when the daemon takes the request). */
  retryRequestedBy?: string | null;
}

interface EscalationRow {
  id: string;
  task_id: string;
  task_ids: string;
  fingerprint: string;
  service: string;
  unit: string | null;
  symptom: string;
  signature: string;
  cause_key: string | null;
  grouped: string;
  reason: string;
  evidence: string;
  attempts: string;
  hypotheses: string;
  status: string;
  occurrences: number;
  created_at: string;
  updated_at: string;
  acknowledged_at: string | null;
  resolved_at: string | null;
  resolution: string | null;
  note: string | null;
  fixes: string;
  reminders: number;
  last_notified_at: string | null;
  retry_requested_at: string | null;
  acknowledged_by: string | null;
  resolved_by: string | null;
  retry_requested_by: string | null;
}

const ACTIVE_SQL = `status IN ('open', 'acknowledged')`;

export class EscalationRepository {
  private dataVersionStatement: Statement | undefined;

  constructor(readonly database: SqliteDatabase) {}

  create(escalation: Escalation): void {
    this.database
      .prepare(
        `INSERT INTO escalations (id, task_id, task_ids, fingerprint, service, unit, symptom, signature, cause_key, grouped, reason, evidence, attempts,
           hypotheses, status, occurrences, created_at, updated_at, acknowledged_at, resolved_at, resolution, note, fixes, reminders, last_notified_at, retry_requested_at,
           acknowledged_by, resolved_by, retry_requested_by)
         VALUES (@id, @task_id, @task_ids, @fingerprint, @service, @unit, @symptom, @signature, @cause_key, @grouped, @reason, @evidence, @attempts,
           @hypotheses, @status, @occurrences, @created_at, @updated_at, @acknowledged_at, @resolved_at, @resolution, @note, @fixes, @reminders, @last_notified_at, @retry_requested_at,
           @acknowledged_by, @resolved_by, @retry_requested_by)`,
      )
      .run(toRow(escalation));
  }

  get(id: string): Escalation | undefined {
    const row = this.database.prepare('SELECT * FROM escalations WHERE id = ?').get(id) as EscalationRow | undefined;
    return row && fromRow(row);
  }

  /** The escalation a task belongs to (opened it or joined it). */
  forTask(taskId: string): Escalation | undefined {
    const row = this.database
      .prepare(`SELECT * FROM escalations WHERE task_id = ? OR EXISTS (SELECT 1 FROM json_each(task_ids) WHERE value = ?) ORDER BY created_at DESC LIMIT 1`)
      .get(taskId, taskId) as EscalationRow | undefined;
    return row && fromRow(row);
  }

  /** The newest escalation of a fault, active or ended since `sinceMs` (flapping looks back this far). */
  latestForFingerprint(fingerprint: string, sinceMs: number): Escalation | undefined {
    const row = this.database
      .prepare(`SELECT * FROM escalations WHERE fingerprint = ? AND (${ACTIVE_SQL} OR updated_at > ?) ORDER BY created_at DESC LIMIT 1`)
      .get(fingerprint, toSqlTime(sinceMs)) as EscalationRow | undefined;
    return row && fromRow(row);
  }

  /** An active escalation with this cause, opened since `sinceMs`. */
  activeForCause(causeKey: string, sinceMs: number): Escalation | undefined {
    const row = this.database
      .prepare(`SELECT * FROM escalations WHERE cause_key = ? AND ${ACTIVE_SQL} AND created_at > ? ORDER BY created_at LIMIT 1`)
      .get(causeKey, toSqlTime(sinceMs)) as EscalationRow | undefined;
    return row && fromRow(row);
  }

  active(): Escalation[] {
    return (this.database.prepare(`SELECT * FROM escalations WHERE ${ACTIVE_SQL} ORDER BY created_at`).all() as EscalationRow[]).map(fromRow);
  }

  list(options: { status?: EscalationStatus; limit?: number } = {}): Escalation[] {
    const rows = options.status
      ? this.database.prepare('SELECT * FROM escalations WHERE status = ? ORDER BY created_at DESC LIMIT ?').all(options.status, options.limit ?? 50)
      : this.database.prepare(`SELECT * FROM escalations ORDER BY ${ACTIVE_SQL} DESC, created_at DESC LIMIT ?`).all(options.limit ?? 50);
    return (rows as EscalationRow[]).map(fromRow);
  }

  /** Writes back every mutable field of an escalation. */
  update(escalation: Escalation): void {
    this.database
      .prepare(
        `UPDATE escalations SET task_ids = @task_ids, grouped = @grouped, reason = @reason, evidence = @evidence, attempts = @attempts, hypotheses = @hypotheses,
           status = @status, occurrences = @occurrences, updated_at = @updated_at, acknowledged_at = @acknowledged_at, resolved_at = @resolved_at,
           resolution = @resolution, note = @note, fixes = @fixes, reminders = @reminders, last_notified_at = @last_notified_at,
           retry_requested_at = @retry_requested_at, acknowledged_by = @acknowledged_by, resolved_by = @resolved_by, retry_requested_by = @retry_requested_by
         WHERE id = @id`,
      )
      .run(toRow(escalation));
  }

  countActive(): number {
    return (this.database.prepare(`SELECT COUNT(*) AS count FROM escalations WHERE ${ACTIVE_SQL}`).get() as { count: number }).count;
  }

  countByStatus(sinceMs: number): Record<string, number> {
    const rows = this.database.prepare('SELECT status, COUNT(*) AS count FROM escalations WHERE created_at > ? GROUP BY status').all(toSqlTime(sinceMs)) as Array<{
      status: string;
      count: number;
    }>;
    return Object.fromEntries(rows.map((row) => [row.status, row.count]));
  }

  /** Ids of the tasks in escalations touched since `sinceMs`: the tasks that needed a human, even once resolved. */
  escalatedTaskIdsSince(sinceMs: number): string[] {
    const sql = 'SELECT DISTINCT j.value AS id FROM escalations e, json_each(e.task_ids) j WHERE e.updated_at >= ?';
    return (this.database.prepare(sql).all(toSqlTime(sinceMs)) as Array<{ id: string }>).map((row) => row.id);
  }

  /** Changes whenever anything in escalations.db is committed, by this connection or another process. */
  dataVersion(): string {
    // Prepared once: the dashboard asks on every overview request.
    this.dataVersionStatement ??= this.database.prepare(`SELECT (SELECT data_version FROM pragma_data_version()) || ':' || total_changes() AS version`).pluck();
    return this.dataVersionStatement.get() as string;
  }

  /** A summary that changes when an escalation is created or updated (live updates compare it). */
  changeMarker(): string {
    const sql = `SELECT COUNT(*) || '/' || IFNULL(MAX(updated_at), '') || '/' || TOTAL(status = 'open') || '/' || TOTAL(status = 'acknowledged') AS marker FROM escalations`;
    return (this.database.prepare(sql).get() as { marker: string }).marker;
  }

  /** Runs `work` in one transaction on escalations.db (an escalation and its notifications commit together). */
  transaction<T>(work: () => T): T {
    return this.database.transaction(work)();
  }
}

function toRow(escalation: Escalation): EscalationRow {
  return {
    id: escalation.id,
    task_id: escalation.taskId,
    task_ids: JSON.stringify(escalation.taskIds),
    fingerprint: escalation.fingerprint,
    service: escalation.service,
    unit: escalation.unit,
    symptom: escalation.symptom,
    signature: escalation.signature,
    cause_key: escalation.causeKey,
    grouped: JSON.stringify(escalation.grouped),
    reason: escalation.reason,
    evidence: JSON.stringify(escalation.evidence),
    attempts: JSON.stringify(escalation.attempts),
    hypotheses: JSON.stringify(escalation.hypotheses),
    status: escalation.status,
    occurrences: escalation.occurrences,
    created_at: toSqlTime(escalation.createdAt),
    updated_at: toSqlTime(escalation.updatedAt),
    acknowledged_at: toSqlTimeOrNull(escalation.acknowledgedAt),
    resolved_at: toSqlTimeOrNull(escalation.resolvedAt),
    resolution: escalation.resolution,
    note: escalation.note,
    fixes: JSON.stringify(escalation.fixes),
    reminders: escalation.reminders,
    last_notified_at: toSqlTimeOrNull(escalation.lastNotifiedAt),
    retry_requested_at: toSqlTimeOrNull(escalation.retryRequestedAt),
    acknowledged_by: escalation.acknowledgedBy ?? null,
    resolved_by: escalation.resolvedBy ?? null,
    retry_requested_by: escalation.retryRequestedBy ?? null,
  };
}

function fromRow(row: EscalationRow): Escalation {
  return {
    id: row.id,
    taskId: row.task_id,
    taskIds: JSON.parse(row.task_ids) as string[],
    fingerprint: row.fingerprint,
    service: row.service,
    unit: row.unit,
    symptom: row.symptom,
    signature: row.signature,
    causeKey: row.cause_key,
    grouped: JSON.parse(row.grouped) as string[],
    reason: row.reason,
    evidence: JSON.parse(row.evidence) as Evidence,
    attempts: JSON.parse(row.attempts) as Attempt[],
    hypotheses: JSON.parse(row.hypotheses) as string[],
    status: row.status as EscalationStatus,
    occurrences: row.occurrences,
    createdAt: fromSqlTime(row.created_at),
    updatedAt: fromSqlTime(row.updated_at),
    acknowledgedAt: fromSqlTimeOrNull(row.acknowledged_at),
    resolvedAt: fromSqlTimeOrNull(row.resolved_at),
    resolution: row.resolution,
    note: row.note,
    fixes: JSON.parse(row.fixes) as Action[],
    reminders: row.reminders,
    lastNotifiedAt: fromSqlTimeOrNull(row.last_notified_at),
    retryRequestedAt: fromSqlTimeOrNull(row.retry_requested_at ?? null),
    acknowledgedBy: row.acknowledged_by ?? null,
    resolvedBy: row.resolved_by ?? null,
    retryRequestedBy: row.retry_requested_by ?? null,
  };
}
