/**
 * The notification outbox in escalations.db: one row per (channel, dedup key), written in the same transaction
 * as the escalation so a crash can never lose a notification, and drained by the dispatcher at its own pace.
 */
import type { SqliteDatabase } from './database.js';
import { fromSqlTime, fromSqlTimeOrNull, toSqlTime } from './time.js';
import type { Notification } from '../core/notification.js';

export const OUTBOX_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/** A row ready to deliver: its channel, the payload to send and its delivery history. */
export interface OutboxEntry {
  id: number;
  channel: string;
  dedupKey: string;
  notification: Notification;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
  deliveredAt: number | null;
}

/** What `orchestrator status` shows about deliveries that are late or gave up. */
export interface OutboxBacklog {
  pending: number;
  failed: number;
  oldestPendingAt: number | null;
}

/** A delivery that gave up, for `orchestrator status`. */
export interface OutboxFailure {
  id: number;
  channel: string;
  dedupKey: string;
  error: string | null;
  attempts: number;
  failedAt: number | null;
}

interface OutboxRow {
  id: number;
  channel: string;
  dedup_key: string;
  payload: string;
  status: string;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}

/** All outbox SQL lives here; the orchestrator only enqueues, the dispatcher reads and marks. */
export class OutboxRepository {
  private readonly enqueueListeners = new Set<() => void>();

  constructor(private readonly database: SqliteDatabase) {}

  /** Calls `listener` after rows were queued through this connection (the dispatcher wakes instead of polling). */
  onEnqueue(listener: () => void): () => void {
    this.enqueueListeners.add(listener);
    return () => void this.enqueueListeners.delete(listener);
  }

  /**
   * Queues `notification` once per channel; a (channel, dedup key) already queued is left alone, so replaying
   * an event is harmless. Runs as a savepoint when called inside the caller's transaction. Returns rows added.
   */
  enqueue(notification: Notification, channels: readonly string[], at: number): number {
    const insert = this.database.prepare(
      `INSERT OR IGNORE INTO outbox (channel, dedup_key, payload, status, attempts, next_attempt_at, created_at)
       VALUES (?, ?, ?, 'pending', 0, ?, ?)`,
    );
    const payload = JSON.stringify(notification);
    const time = toSqlTime(at);
    const added = this.database.transaction(() => {
      let rows = 0;
      for (const channel of new Set(channels)) rows += insert.run(channel, notification.dedupKey, payload, time, time).changes;
      return rows;
    })();
    if (added > 0) for (const listener of this.enqueueListeners) listener();
    return added;
  }

  /** When the next pending row is due (ms since the epoch), or undefined when none is pending. */
  nextDueAt(): number | undefined {
    const row = this.database.prepare(`SELECT MIN(next_attempt_at) AS at FROM outbox WHERE status = 'pending'`).get() as { at: string | null };
    return row.at === null ? undefined : fromSqlTime(row.at);
  }

  /** Pending rows whose next attempt is due at `now`, oldest first. */
  due(now: number, limit: number): OutboxEntry[] {
    const rows = this.database
      .prepare(`SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`)
      .all(toSqlTime(now), limit) as OutboxRow[];
    return rows.map(fromRow);
  }

  get(id: number): OutboxEntry | undefined {
    const row = this.database.prepare('SELECT * FROM outbox WHERE id = ?').get(id) as OutboxRow | undefined;
    return row && fromRow(row);
  }

  /** Every row for one dedup key (all channels), for tests and `status`. */
  forDedupKey(dedupKey: string): OutboxEntry[] {
    return (this.database.prepare('SELECT * FROM outbox WHERE dedup_key = ? ORDER BY id').all(dedupKey) as OutboxRow[]).map(fromRow);
  }

  markDelivered(id: number, at: number): void {
    this.database
      .prepare(`UPDATE outbox SET status = 'delivered', attempts = attempts + 1, delivered_at = ?, last_error = NULL WHERE id = ? AND status = 'pending'`)
      .run(toSqlTime(at), id);
  }

  /** Records a failed attempt and when to try again. */
  markRetry(id: number, error: string, nextAttemptAt: number): void {
    this.database
      .prepare(`UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ? AND status = 'pending'`)
      .run(error, toSqlTime(nextAttemptAt), id);
  }

  /** Gives up on a row: counted as an attempt, kept with its error for `status`. */
  markFailed(id: number, error: string, at: number): void {
    this.database
      .prepare(`UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ? AND status = 'pending'`)
      .run(error, toSqlTime(at), id);
  }

  backlog(): OutboxBacklog {
    const row = this.database
      .prepare(
        `SELECT COALESCE(SUM(status = 'pending'), 0) AS pending, COALESCE(SUM(status = 'failed'), 0) AS failed,
                MIN(CASE WHEN status = 'pending' THEN created_at END) AS oldest
         FROM outbox`,
      )
      .get() as { pending: number; failed: number; oldest: string | null };
    return { pending: row.pending, failed: row.failed, oldestPendingAt: fromSqlTimeOrNull(row.oldest) };
  }

  /** The most recent deliveries that gave up, newest first. */
  recentFailures(limit: number): OutboxFailure[] {
    const rows = this.database.prepare(`SELECT * FROM outbox WHERE status = 'failed' ORDER BY next_attempt_at DESC, id DESC LIMIT ?`).all(limit) as OutboxRow[];
    return rows.map((row) => ({
      id: row.id,
      channel: row.channel,
      dedupKey: row.dedup_key,
      error: row.last_error,
      attempts: row.attempts,
      failedAt: fromSqlTime(row.next_attempt_at),
    }));
  }
}

function fromRow(row: OutboxRow): OutboxEntry {
  return {
    id: row.id,
    channel: row.channel,
    dedupKey: row.dedup_key,
    notification: JSON.parse(row.payload) as Notification,
    status: row.status as OutboxStatus,
    attempts: row.attempts,
    nextAttemptAt: fromSqlTime(row.next_attempt_at),
    lastError: row.last_error,
    createdAt: fromSqlTime(row.created_at),
    deliveredAt: fromSqlTimeOrNull(row.delivered_at),
  };
}
