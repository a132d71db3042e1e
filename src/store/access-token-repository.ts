/**
 * Named dashboard access tokens in escalations.db, shared by the daemon, `orchestrator dashboard` and the CLI. Only
 * a token's SHA-256 is kept; a revoked token stays listed (its name is in the record of what it did) and is never
 * accepted again. All access-token SQL lives here.
 */
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from './database.js';
import { fromSqlTime, fromSqlTimeOrNull, toSqlTime } from './time.js';

/** A named token as `orchestrator token list` shows it (never its hash). */
export interface AccessTokenRecord {
  name: string;
  createdAt: number;
  createdBy: string;
  lastUsedAt: number | null;
  revokedAt: number | null;
  revokedBy: string | null;
}

/** An unrevoked token's name and hash (hex SHA-256), for the constant-time comparison. */
export interface ActiveTokenHash {
  name: string;
  hash: string;
}

interface AccessTokenRow {
  name: string;
  hash: string;
  created_at: string;
  created_by: string;
  last_used_at: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
}

export class AccessTokenRepository {
  private activeStatement: Statement | undefined;

  constructor(private readonly database: SqliteDatabase) {}

  /** Adds a token; false when the name is taken (revoked names included). */
  create(token: { name: string; hash: string; createdAt: number; createdBy: string }): boolean {
    const result = this.database
      .prepare(`INSERT INTO access_tokens (name, hash, created_at, created_by) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`)
      .run(token.name, token.hash, toSqlTime(token.createdAt), token.createdBy);
    return result.changes === 1;
  }

  /**
   * Records the token kept in a file under `name` (the compatible "admin"). A changed file replaces the hash and
   * ends the sessions opened with the old token; a revoked one stays revoked. Returns whether it is revoked.
   */
  registerFileToken(token: { name: string; hash: string; at: number; createdBy: string }): { revoked: boolean } {
    return this.database.transaction(() => {
      const row = this.database.prepare(`SELECT hash, revoked_at FROM access_tokens WHERE name = ?`).get(token.name) as { hash: string; revoked_at: string | null } | undefined;
      if (!row) {
        this.create({ name: token.name, hash: token.hash, createdAt: token.at, createdBy: token.createdBy });
        return { revoked: false };
      }
      if (row.hash !== token.hash && row.revoked_at === null) {
        this.database
          .prepare(`UPDATE access_tokens SET hash = ?, created_at = ?, created_by = ?, last_used_at = NULL WHERE name = ?`)
          .run(token.hash, toSqlTime(token.at), token.createdBy, token.name);
        this.database.prepare(`DELETE FROM web_sessions WHERE token_name = ?`).run(token.name);
      }
      return { revoked: row.revoked_at !== null };
    })();
  }

  get(name: string): AccessTokenRecord | undefined {
    const row = this.database.prepare(`SELECT * FROM access_tokens WHERE name = ?`).get(name) as AccessTokenRow | undefined;
    return row && fromRow(row);
  }

  /** Every token, oldest first, revoked ones included. */
  list(): AccessTokenRecord[] {
    return (this.database.prepare(`SELECT * FROM access_tokens ORDER BY created_at, name`).all() as AccessTokenRow[]).map(fromRow);
  }

  count(): number {
    return (this.database.prepare(`SELECT COUNT(*) AS count FROM access_tokens`).get() as { count: number }).count;
  }

  /** The tokens that may authenticate now (read on every request, so a revocation counts at the next one). */
  active(): ActiveTokenHash[] {
    this.activeStatement ??= this.database.prepare(`SELECT name, hash FROM access_tokens WHERE revoked_at IS NULL`);
    return this.activeStatement.all() as ActiveTokenHash[];
  }

  /** Revokes a token and ends its sessions in one transaction; the number of sessions ended, undefined when it was not active. */
  revoke(name: string, at: number, by: string): number | undefined {
    return this.database.transaction(() => {
      const result = this.database.prepare(`UPDATE access_tokens SET revoked_at = ?, revoked_by = ? WHERE name = ? AND revoked_at IS NULL`).run(toSqlTime(at), by, name);
      if (result.changes === 0) return undefined;
      return this.database.prepare(`DELETE FROM web_sessions WHERE token_name = ?`).run(name).changes;
    })();
  }

  /** Notes that the token was just used (callers throttle: this is a write). */
  touch(name: string, at: number): void {
    this.database.prepare(`UPDATE access_tokens SET last_used_at = ? WHERE name = ?`).run(toSqlTime(at), name);
  }
}

function fromRow(row: AccessTokenRow): AccessTokenRecord {
  return {
    name: row.name,
    createdAt: fromSqlTime(row.created_at),
    createdBy: row.created_by,
    lastUsedAt: fromSqlTimeOrNull(row.last_used_at),
    revokedAt: fromSqlTimeOrNull(row.revoked_at),
    revokedBy: row.revoked_by,
  };
}
