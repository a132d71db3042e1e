/** Escalations: what the automation could not fix, for a human. One per task; statuses open → acknowledged → resolved. */
import type { SqliteDatabase } from './database.js';
import type { Attempt, Evidence } from '../core/types.js';
import { fromSqlTime, fromSqlTimeOrNull, toSqlTime } from './time.js';

export const ESCALATION_STATUSES = ['open', 'acknowledged', 'resolved', 'auto_resolved'] as const;
export type EscalationStatus = (typeof ESCALATION_STATUSES)[number];

export interface Escalation {
  id: string;
  taskId: string;
  fingerprint: string;
  service: string;
  symptom: string;
  reason: string;
  evidence: Evidence;
  attempts: Attempt[];
  status: EscalationStatus;
  occurrences: number;
  createdAt: number;
  updatedAt: number;
  resolvedAt: number | null;
  resolution: string | null;
}

interface EscalationRow {
  id: string;
  task_id: string;
  fingerprint: string;
  service: string;
  symptom: string;
  reason: string;
  evidence: string;
  attempts: string;
  status: string;
  occurrences: number;
  created_at: string;
  updated_at: string;
  resolved_at: string | null;
  resolution: string | null;
}

export class EscalationRepository {
  constructor(private readonly database: SqliteDatabase) {}

  create(escalation: Escalation): void {
    this.database
      .prepare(
        `INSERT INTO escalations (id, task_id, fingerprint, service, symptom, reason, evidence, attempts, status, occurrences, created_at, updated_at, resolved_at, resolution)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        escalation.id,
        escalation.taskId,
        escalation.fingerprint,
        escalation.service,
        escalation.symptom,
        escalation.reason,
        JSON.stringify(escalation.evidence),
        JSON.stringify(escalation.attempts),
        escalation.status,
        escalation.occurrences,
        toSqlTime(escalation.createdAt),
        toSqlTime(escalation.updatedAt),
        escalation.resolvedAt === null ? null : toSqlTime(escalation.resolvedAt),
        escalation.resolution,
      );
  }

  forTask(taskId: string): Escalation | undefined {
    const row = this.database.prepare('SELECT * FROM escalations WHERE task_id = ?').get(taskId) as EscalationRow | undefined;
    return row && fromRow(row);
  }

  list(options: { status?: EscalationStatus; limit?: number } = {}): Escalation[] {
    const rows = options.status
      ? this.database.prepare('SELECT * FROM escalations WHERE status = ? ORDER BY created_at DESC LIMIT ?').all(options.status, options.limit ?? 50)
      : this.database
          .prepare(`SELECT * FROM escalations ORDER BY status IN ('resolved', 'auto_resolved'), created_at DESC LIMIT ?`)
          .all(options.limit ?? 50);
    return (rows as EscalationRow[]).map(fromRow);
  }

  setStatus(id: string, status: EscalationStatus, at: number, resolution?: string): void {
    this.database
      .prepare(
        `UPDATE escalations SET status = ?, updated_at = ?, resolved_at = CASE WHEN ? IN ('resolved', 'auto_resolved') THEN ? ELSE resolved_at END,
           resolution = COALESCE(?, resolution) WHERE id = ?`,
      )
      .run(status, toSqlTime(at), status, toSqlTime(at), resolution ?? null, id);
  }

  countOpen(): number {
    return (this.database.prepare(`SELECT COUNT(*) AS count FROM escalations WHERE status IN ('open', 'acknowledged')`).get() as { count: number }).count;
  }
}

function fromRow(row: EscalationRow): Escalation {
  return {
    id: row.id,
    taskId: row.task_id,
    fingerprint: row.fingerprint,
    service: row.service,
    symptom: row.symptom,
    reason: row.reason,
    evidence: JSON.parse(row.evidence) as Evidence,
    attempts: JSON.parse(row.attempts) as Attempt[],
    status: row.status as EscalationStatus,
    occurrences: row.occurrences,
    createdAt: fromSqlTime(row.created_at),
    updatedAt: fromSqlTime(row.updated_at),
    resolvedAt: fromSqlTimeOrNull(row.resolved_at),
    resolution: row.resolution,
  };
}
