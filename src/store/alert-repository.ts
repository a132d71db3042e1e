/**
 * The alerts Alertmanager sent, one row per alert occurrence (its fingerprint and startsAt): what it was, which
 * service it mapped to, which task it opened or joined, and what the daemon did with it.
 */
import type { SqliteDatabase } from './database.js';
import { fromSqlTime, fromSqlTimeOrNull, toSqlTime } from './time.js';

/** What became of an alert: it opened a task, joined one, was for nothing managed, was silenced, or only recorded. */
export type AlertOutcome = 'opened' | 'joined' | 'unmanaged' | 'silenced' | 'recorded' | 'awaiting_resolution';

export interface ReceivedAlert {
  fingerprint: string;
  startsAt: number;
  alertname: string;
  service: string | null;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  generatorURL: string | null;
  taskId: string | null;
  outcome: AlertOutcome;
  /** How many times Alertmanager sent it (repeats and regroupings). */
  received: number;
  firstReceivedAt: number;
  lastReceivedAt: number;
  resolvedAt: number | null;
}

interface AlertRow {
  fingerprint: string;
  starts_at: string;
  alertname: string;
  service: string | null;
  status: string;
  labels: string;
  annotations: string;
  generator_url: string | null;
  task_id: string | null;
  outcome: string;
  received: number;
  first_received_at: string;
  last_received_at: string;
  resolved_at: string | null;
}

/** Rows kept: the oldest are removed past this many, so a noisy Alertmanager cannot fill the disk. */
const ALERTS_KEPT = 10_000;

export class AlertRepository {
  constructor(private readonly database: SqliteDatabase) {}

  get(fingerprint: string, startsAt: number): ReceivedAlert | undefined {
    const row = this.database.prepare('SELECT * FROM alerts WHERE fingerprint = ? AND starts_at = ?').get(fingerprint, toSqlTime(startsAt)) as AlertRow | undefined;
    return row && toAlert(row);
  }

  /** Inserts the alert or updates the row of the same occurrence (counting the repeat). */
  save(alert: ReceivedAlert): void {
    this.database
      .prepare(
        `INSERT INTO alerts (fingerprint, starts_at, alertname, service, status, labels, annotations, generator_url, task_id, outcome, received, first_received_at, last_received_at, resolved_at)
         VALUES (@fingerprint, @startsAt, @alertname, @service, @status, @labels, @annotations, @generatorURL, @taskId, @outcome, @received, @firstReceivedAt, @lastReceivedAt, @resolvedAt)
         ON CONFLICT (fingerprint, starts_at) DO UPDATE SET status = excluded.status, labels = excluded.labels, annotations = excluded.annotations,
           generator_url = excluded.generator_url, service = excluded.service, task_id = excluded.task_id, outcome = excluded.outcome,
           received = excluded.received, last_received_at = excluded.last_received_at, resolved_at = excluded.resolved_at`,
      )
      .run({
        ...alert,
        startsAt: toSqlTime(alert.startsAt),
        labels: JSON.stringify(alert.labels),
        annotations: JSON.stringify(alert.annotations),
        firstReceivedAt: toSqlTime(alert.firstReceivedAt),
        lastReceivedAt: toSqlTime(alert.lastReceivedAt),
        resolvedAt: alert.resolvedAt === null ? null : toSqlTime(alert.resolvedAt),
      });
  }

  /** Keeps the newest rows only (called after each payload). */
  prune(): void {
    this.database.prepare('DELETE FROM alerts WHERE rowid IN (SELECT rowid FROM alerts ORDER BY last_received_at DESC LIMIT -1 OFFSET ?)').run(ALERTS_KEPT);
  }

  /** Alerts still firing for a task (the task is not healthy while one is). */
  firingForTask(taskId: string): ReceivedAlert[] {
    const rows = this.database.prepare(`SELECT * FROM alerts WHERE task_id = ? AND status = 'firing'`).all(taskId) as AlertRow[];
    return rows.map(toAlert);
  }

  /** Services with an alert still firing for a task that is not finished (open, running or escalated). */
  firingServices(): string[] {
    const rows = this.database
      .prepare(
        `SELECT DISTINCT alerts.service AS service FROM alerts JOIN tasks ON tasks.id = alerts.task_id
         WHERE alerts.status = 'firing' AND alerts.service IS NOT NULL AND tasks.status IN ('open', 'running', 'escalated')`,
      )
      .all() as Array<{ service: string }>;
    return rows.map((row) => row.service);
  }

  /** Newest first. */
  recent(limit = 100, service?: string): ReceivedAlert[] {
    const rows = (
      service === undefined
        ? this.database.prepare('SELECT * FROM alerts ORDER BY last_received_at DESC LIMIT ?').all(limit)
        : this.database.prepare('SELECT * FROM alerts WHERE service = ? ORDER BY last_received_at DESC LIMIT ?').all(service, limit)
    ) as AlertRow[];
    return rows.map(toAlert);
  }
}

function toAlert(row: AlertRow): ReceivedAlert {
  return {
    fingerprint: row.fingerprint,
    startsAt: fromSqlTime(row.starts_at),
    alertname: row.alertname,
    service: row.service,
    status: row.status as ReceivedAlert['status'],
    labels: JSON.parse(row.labels) as Record<string, string>,
    annotations: JSON.parse(row.annotations) as Record<string, string>,
    generatorURL: row.generator_url,
    taskId: row.task_id,
    outcome: row.outcome as AlertOutcome,
    received: row.received,
    firstReceivedAt: fromSqlTime(row.first_received_at),
    lastReceivedAt: fromSqlTime(row.last_received_at),
    resolvedAt: fromSqlTimeOrNull(row.resolved_at),
  };
}
