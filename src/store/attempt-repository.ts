/** Attempts: each plan tried on a task, with its outcome and verification. Written before acting, finished after. */
import type { SqliteDatabase } from './database.js';
import type { Action, Attempt, AttemptOutcome, Phase, PlanSource, Verification } from '../core/types.js';
import { fromSqlTime, fromSqlTimeOrNull, toSqlTime } from './time.js';

interface AttemptRow {
  id: string;
  task_id: string;
  service: string;
  phase: number;
  source: string;
  plan_key: string;
  actions: string;
  reason: string;
  started_at: string;
  finished_at: string | null;
  outcome: string | null;
  detail: string;
  verification: string | null;
  acted: number;
}

export class AttemptRepository {
  constructor(private readonly database: SqliteDatabase) {}

  /** Records the intent before acting, so a crash mid-action is visible on restart. */
  start(attempt: Attempt, service: string): void {
    this.database
      .prepare(
        `INSERT INTO attempts (id, task_id, service, phase, source, plan_key, actions, reason, started_at, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        attempt.id,
        attempt.taskId,
        service,
        attempt.phase,
        attempt.source,
        attempt.planKey,
        JSON.stringify(attempt.actions),
        attempt.reason,
        toSqlTime(attempt.startedAt),
        attempt.detail,
      );
  }

  finish(id: string, result: { outcome: AttemptOutcome; detail: string; verification: Verification | null; finishedAt: number; acted: boolean }): void {
    this.database
      .prepare('UPDATE attempts SET outcome = ?, detail = ?, verification = ?, finished_at = ?, acted = ? WHERE id = ?')
      .run(result.outcome, result.detail, result.verification && JSON.stringify(result.verification), toSqlTime(result.finishedAt), result.acted ? 1 : 0, id);
  }

  /** One attempt with the service it was for (the fleet store's replication). */
  get(id: string): (Attempt & { service: string }) | undefined {
    const row = this.database.prepare('SELECT * FROM attempts WHERE id = ?').get(id) as AttemptRow | undefined;
    return row && { ...fromRow(row), service: row.service };
  }

  forTask(taskId: string): Attempt[] {
    return (this.database.prepare('SELECT * FROM attempts WHERE task_id = ? ORDER BY started_at, rowid').all(taskId) as AttemptRow[]).map(fromRow);
  }

  /** Wall times of actions really taken on a service since a time (to seed budgets after a restart). */
  actedSince(sinceMs: number): Array<{ service: string; at: number }> {
    return (
      this.database.prepare(`SELECT service, started_at FROM attempts WHERE acted = 1 AND started_at > ? ORDER BY started_at`).all(toSqlTime(sinceMs)) as Array<{
        service: string;
        started_at: string;
      }>
    ).map((row) => ({ service: row.service, at: fromSqlTime(row.started_at) }));
  }

  /**
   * How shadow proposals compare with what finally fixed the same fault (the next verified fix of the same
   * service and signature, by any phase or by a human): lets an operator decide when to trust a phase.
   */
  shadowAccuracy(sinceMs: number): { proposals: number; withKnownFix: number; matched: number; byPhase: Record<string, { proposals: number; matched: number }> } {
    const rows = this.database
      .prepare(
        `SELECT a.phase AS phase, a.plan_key AS proposed,
           (SELECT s.plan_key FROM attempts s JOIN tasks t2 ON t2.id = s.task_id
             WHERE s.outcome = 'success' AND t2.service = t.service AND t2.signature = t.signature AND s.started_at >= a.started_at
             ORDER BY s.started_at LIMIT 1) AS fixed_by
         FROM attempts a JOIN tasks t ON t.id = a.task_id
         WHERE a.outcome = 'shadow' AND a.started_at > ?`,
      )
      .all(toSqlTime(sinceMs)) as Array<{ phase: number; proposed: string; fixed_by: string | null }>;
    const byPhase: Record<string, { proposals: number; matched: number }> = {};
    let matched = 0;
    for (const row of rows) {
      const entry = (byPhase[String(row.phase)] ??= { proposals: 0, matched: 0 });
      entry.proposals++;
      if (row.fixed_by === row.proposed) {
        entry.matched++;
        matched++;
      }
    }
    return { proposals: rows.length, withKnownFix: rows.filter((row) => row.fixed_by !== null).length, matched, byPhase };
  }

  /** Attempts that never finished because the daemon died: marked interrupted, never silently repeated. */
  markInterrupted(at: number): number {
    return this.database
      .prepare(
        `UPDATE attempts SET outcome = 'interrupted', finished_at = ?, acted = 1, detail = detail || ' (interrupted: the daemon stopped during this attempt)' WHERE outcome IS NULL`,
      )
      .run(toSqlTime(at)).changes;
  }
}

function fromRow(row: AttemptRow): Attempt {
  return {
    id: row.id,
    taskId: row.task_id,
    phase: row.phase as Phase,
    source: row.source as PlanSource,
    planKey: row.plan_key,
    actions: JSON.parse(row.actions) as Action[],
    reason: row.reason,
    startedAt: fromSqlTime(row.started_at),
    finishedAt: fromSqlTimeOrNull(row.finished_at),
    outcome: row.outcome as AttemptOutcome | null,
    detail: row.detail,
    verification: row.verification ? (JSON.parse(row.verification) as Verification) : null,
  };
}
