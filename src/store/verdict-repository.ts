/** Agents' verdicts (or why there was none) and security events: what each agent said, kept with the task. */
import type { SqliteDatabase } from './database.js';
import type { Verdict } from '../core/types.js';
import { fromSqlTime, toSqlTime } from './time.js';

export interface VerdictRecord {
  taskId: string;
  phase: number;
  agent: string;
  perspective: string;
  verdict: Verdict | null;
  error: string | null;
  /** Whether the proposal passed the catalog and the policy (for phase 3: whether it was part of the quorum). */
  accepted: boolean;
  note: string;
  createdAt: number;
}

export interface SecurityEvent {
  taskId: string | null;
  agent: string;
  /** off_catalog, bad_parameters, out_of_scope, oversized_reply ... */
  kind: string;
  detail: string;
  createdAt: number;
}

export class VerdictRepository {
  constructor(private readonly database: SqliteDatabase) {}

  record(entry: VerdictRecord): void {
    this.database
      .prepare('INSERT INTO verdicts (task_id, phase, agent, perspective, verdict, error, accepted, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(
        entry.taskId,
        entry.phase,
        entry.agent,
        entry.perspective,
        entry.verdict && JSON.stringify(entry.verdict),
        entry.error,
        entry.accepted ? 1 : 0,
        entry.note,
        toSqlTime(entry.createdAt),
      );
  }

  forTask(taskId: string): VerdictRecord[] {
    const rows = this.database.prepare('SELECT * FROM verdicts WHERE task_id = ? ORDER BY id').all(taskId) as Array<{
      task_id: string;
      phase: number;
      agent: string;
      perspective: string;
      verdict: string | null;
      error: string | null;
      accepted: number;
      note: string;
      created_at: string;
    }>;
    return rows.map((row) => ({
      taskId: row.task_id,
      phase: row.phase,
      agent: row.agent,
      perspective: row.perspective,
      verdict: row.verdict ? (JSON.parse(row.verdict) as Verdict) : null,
      error: row.error,
      accepted: row.accepted === 1,
      note: row.note,
      createdAt: fromSqlTime(row.created_at),
    }));
  }

  recordSecurityEvent(event: SecurityEvent): void {
    this.database
      .prepare('INSERT INTO security_events (task_id, agent, kind, detail, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(event.taskId, event.agent, event.kind, event.detail, toSqlTime(event.createdAt));
  }

  securityEvents(limit = 100): SecurityEvent[] {
    const rows = this.database.prepare('SELECT * FROM security_events ORDER BY id DESC LIMIT ?').all(limit) as Array<{
      task_id: string | null;
      agent: string;
      kind: string;
      detail: string;
      created_at: string;
    }>;
    return rows.map((row) => ({ taskId: row.task_id, agent: row.agent, kind: row.kind, detail: row.detail, createdAt: fromSqlTime(row.created_at) }));
  }
}
