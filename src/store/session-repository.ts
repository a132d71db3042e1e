/**
 * Dashboard login sessions in escalations.db, so they survive a restart and hold in every process that serves the
 * dashboard. Only the SHA-256 of a session id is kept (the id itself is in the browser's cookie alone). A session
 * lives only as long as its token is not revoked. All session SQL lives here.
 */
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from './database.js';
import { fromSqlTime, toSqlTime } from './time.js';

/** A live session: whose token opened it and until when it holds. */
export interface WebSession {
  tokenName: string;
  expiresAt: number;
}

export class SessionRepository {
  private findStatement: Statement | undefined;

  constructor(private readonly database: SqliteDatabase) {}

  /**
   * Stores a session, first dropping the expired ones and, at `maxLive` live sessions, the oldest, so a flood of
   * logins cannot grow the table without bound.
   */
  create(session: { hash: string; tokenName: string; createdAt: number; expiresAt: number }, maxLive: number): void {
    this.database.transaction(() => {
      this.prune(session.createdAt);
      const live = (this.database.prepare(`SELECT COUNT(*) AS count FROM web_sessions`).get() as { count: number }).count;
      if (live >= maxLive) {
        this.database.prepare(`DELETE FROM web_sessions WHERE hash IN (SELECT hash FROM web_sessions ORDER BY created_at, expires_at LIMIT ?)`).run(live - maxLive + 1);
      }
      this.database
        .prepare(`INSERT INTO web_sessions (hash, token_name, created_at, expires_at) VALUES (?, ?, ?, ?)`)
        .run(session.hash, session.tokenName, toSqlTime(session.createdAt), toSqlTime(session.expiresAt));
    })();
  }

  /** The session with this hash if it has not expired and its token is not revoked. */
  find(hash: string, now: number): WebSession | undefined {
    this.findStatement ??= this.database.prepare(
      `SELECT s.token_name, s.expires_at FROM web_sessions s JOIN access_tokens t ON t.name = s.token_name
       WHERE s.hash = ? AND s.expires_at > ? AND t.revoked_at IS NULL`,
    );
    const row = this.findStatement.get(hash, toSqlTime(now)) as { token_name: string; expires_at: string } | undefined;
    return row && { tokenName: row.token_name, expiresAt: fromSqlTime(row.expires_at) };
  }

  delete(hash: string): void {
    this.database.prepare(`DELETE FROM web_sessions WHERE hash = ?`).run(hash);
  }

  /** Drops the sessions that expired by `now`; how many. */
  prune(now: number): number {
    return this.database.prepare(`DELETE FROM web_sessions WHERE expires_at <= ?`).run(toSqlTime(now)).changes;
  }

  /** Sessions not yet expired, per token name (for `orchestrator token list`). */
  liveByToken(now: number): Map<string, number> {
    const rows = this.database.prepare(`SELECT token_name, COUNT(*) AS count FROM web_sessions WHERE expires_at > ? GROUP BY token_name`).all(toSqlTime(now)) as Array<{
      token_name: string;
      count: number;
    }>;
    return new Map(rows.map((row) => [row.token_name, row.count]));
  }
}
