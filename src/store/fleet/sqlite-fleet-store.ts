/**
 * The fleet store on SQLite (fleet.db in the data directory): a fleet of one host, the same port and the same
 * conformance suite as PostgreSQL's, so the fleet code paths run on a single host and in fast tests. Whole rows
 * are kept as JSON beside the columns they are looked up by; every method is one transaction.
 */
import type { Attempt, LearnedPattern, Task } from '../../core/types.js';
import { openDatabase, type Migrations, type SqliteDatabase } from '../database.js';
import type { Escalation } from '../escalation-repository.js';
import type { Silence } from '../silence-repository.js';
import {
  fleetPatternRecord,
  type FleetRow,
  type FleetRowKind,
  type FleetHost,
  type FleetPause,
  type FleetPatternRow,
  type FleetStore,
  type FleetTask,
  type FleetTaskQuery,
  type HostRecord,
  type HostSummary,
  type Lease,
  type LeaseResult,
} from './fleet-store.js';

/** Append only: the index + 1 is the schema version (PRAGMA user_version), as in the host's own stores. */
export const SQLITE_FLEET_MIGRATIONS: Migrations = [
  `
  CREATE TABLE fleet_hosts (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, version TEXT NOT NULL, started_at INTEGER NOT NULL,
    last_seen INTEGER NOT NULL, summary TEXT NOT NULL, silent_since INTEGER
  );
  CREATE TABLE fleet_tasks (
    host_id TEXT NOT NULL, id TEXT NOT NULL, service TEXT NOT NULL, status TEXT NOT NULL, detected_at INTEGER NOT NULL,
    data TEXT NOT NULL, PRIMARY KEY (host_id, id)
  );
  CREATE INDEX fleet_tasks_detected ON fleet_tasks (detected_at DESC);
  CREATE INDEX fleet_tasks_service ON fleet_tasks (host_id, service);
  CREATE TABLE fleet_attempts (
    host_id TEXT NOT NULL, id TEXT NOT NULL, task_id TEXT NOT NULL, started_at INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (host_id, id)
  );
  CREATE INDEX fleet_attempts_task ON fleet_attempts (host_id, task_id);
  CREATE TABLE fleet_escalations (
    host_id TEXT NOT NULL, id TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (host_id, id)
  );
  CREATE TABLE fleet_patterns (
    host_id TEXT NOT NULL, service TEXT NOT NULL, profile TEXT, signature TEXT NOT NULL, plan_key TEXT NOT NULL,
    data TEXT NOT NULL, PRIMARY KEY (host_id, service, signature, plan_key)
  );
  CREATE INDEX fleet_patterns_signature ON fleet_patterns (signature);
  CREATE TABLE fleet_leases (
    key TEXT NOT NULL, holder TEXT NOT NULL, acquired_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
    PRIMARY KEY (key, holder)
  );
  CREATE TABLE fleet_controls (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at INTEGER NOT NULL);
  `,
  `
  CREATE TABLE fleet_silences (id TEXT PRIMARY KEY, ends_at INTEGER NOT NULL, expired_at INTEGER, data TEXT NOT NULL);
  `,
  `
  CREATE TABLE fleet_rows (
    host_id TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, at INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (host_id, kind, id)
  );
  CREATE INDEX fleet_rows_kind ON fleet_rows (kind, at DESC);
  `,
];

interface HostRow {
  id: string;
  name: string;
  version: string;
  started_at: number;
  last_seen: number;
  summary: string;
  silent_since: number | null;
}

export class SqliteFleetStore implements FleetStore {
  readonly kind = 'sqlite' as const;
  private readonly database: SqliteDatabase;

  /** `file`: fleet.db, or ':memory:' in tests. */
  constructor(file: string) {
    this.database = openDatabase(file, SQLITE_FLEET_MIGRATIONS);
  }

  async migrate(): Promise<number> {
    return this.database.pragma('user_version', { simple: true }) as number;
  }

  async registerHost(host: HostRecord): Promise<void> {
    this.database
      .prepare(
        `INSERT INTO fleet_hosts (id, name, version, started_at, last_seen, summary) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, version = excluded.version, started_at = excluded.started_at`,
      )
      .run(host.id, host.name, host.version, host.startedAt, host.startedAt, JSON.stringify(EMPTY_SUMMARY));
  }

  async heartbeat(hostId: string, at: number, summary: HostSummary): Promise<void> {
    this.database.prepare('UPDATE fleet_hosts SET last_seen = MAX(last_seen, ?), summary = ? WHERE id = ?').run(at, JSON.stringify(summary), hostId);
  }

  async hosts(): Promise<FleetHost[]> {
    const rows = this.database.prepare('SELECT * FROM fleet_hosts ORDER BY name, id').all() as HostRow[];
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      version: row.version,
      startedAt: row.started_at,
      lastSeen: row.last_seen,
      summary: JSON.parse(row.summary) as HostSummary,
      silentSince: row.silent_since,
    }));
  }

  async claimSilentHost(hostId: string, silentBefore: number, at: number): Promise<boolean> {
    return this.database.prepare('UPDATE fleet_hosts SET silent_since = ? WHERE id = ? AND silent_since IS NULL AND last_seen < ?').run(at, hostId, silentBefore).changes > 0;
  }

  async returnedHosts(): Promise<string[]> {
    return this.database.prepare('SELECT id FROM fleet_hosts WHERE silent_since IS NOT NULL AND last_seen > silent_since ORDER BY id').pluck().all() as string[];
  }

  async clearSilentHost(hostId: string): Promise<void> {
    this.database.prepare('UPDATE fleet_hosts SET silent_since = NULL WHERE id = ?').run(hostId);
  }

  async pushTasks(hostId: string, tasks: readonly Task[]): Promise<void> {
    const upsert = this.database.prepare(
      `INSERT INTO fleet_tasks (host_id, id, service, status, detected_at, data) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (host_id, id) DO UPDATE SET service = excluded.service, status = excluded.status, detected_at = excluded.detected_at, data = excluded.data`,
    );
    this.database.transaction(() => {
      for (const task of tasks) upsert.run(hostId, task.id, task.service, task.status, task.detectedAt, JSON.stringify(task));
    })();
  }

  async pushAttempts(hostId: string, attempts: ReadonlyArray<Attempt & { service: string }>): Promise<void> {
    const upsert = this.database.prepare(
      `INSERT INTO fleet_attempts (host_id, id, task_id, started_at, data) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (host_id, id) DO UPDATE SET task_id = excluded.task_id, started_at = excluded.started_at, data = excluded.data`,
    );
    this.database.transaction(() => {
      for (const attempt of attempts) upsert.run(hostId, attempt.id, attempt.taskId, attempt.startedAt, JSON.stringify(attempt));
    })();
  }

  async pushEscalations(hostId: string, escalations: readonly Escalation[]): Promise<void> {
    const upsert = this.database.prepare(
      `INSERT INTO fleet_escalations (host_id, id, status, created_at, data) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (host_id, id) DO UPDATE SET status = excluded.status, created_at = excluded.created_at, data = excluded.data`,
    );
    this.database.transaction(() => {
      for (const escalation of escalations) upsert.run(hostId, escalation.id, escalation.status, escalation.createdAt, JSON.stringify(escalation));
    })();
  }

  async pushPatterns(hostId: string, patterns: ReadonlyArray<LearnedPattern & { profile: string | null }>): Promise<void> {
    const upsert = this.database.prepare(
      `INSERT INTO fleet_patterns (host_id, service, profile, signature, plan_key, data) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (host_id, service, signature, plan_key) DO UPDATE SET profile = excluded.profile, data = excluded.data`,
    );
    this.database.transaction(() => {
      for (const pattern of patterns)
        upsert.run(hostId, pattern.service, pattern.profile, pattern.signature, pattern.planKey, JSON.stringify({ host: hostId, ...fleetPatternRecord(pattern) }));
    })();
  }

  async pushRows(hostId: string, kind: FleetRowKind, rows: ReadonlyArray<{ id: string; data: Record<string, unknown> }>, at: number): Promise<void> {
    const upsert = this.database.prepare(
      `INSERT INTO fleet_rows (host_id, kind, id, at, data) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (host_id, kind, id) DO UPDATE SET at = excluded.at, data = excluded.data`,
    );
    this.database.transaction(() => {
      for (const row of rows) upsert.run(hostId, kind, row.id, at, JSON.stringify(row.data));
    })();
  }

  async rows(query: { kind: FleetRowKind; host?: string; limit: number }): Promise<FleetRow[]> {
    const rows = this.database
      .prepare(`SELECT host_id, kind, id, at, data FROM fleet_rows WHERE kind = ? ${query.host !== undefined ? 'AND host_id = ?' : ''} ORDER BY at DESC, host_id, id LIMIT ?`)
      .all(query.kind, ...(query.host !== undefined ? [query.host] : []), query.limit) as Array<{ host_id: string; kind: FleetRowKind; id: string; at: number; data: string }>;
    return rows.map((row) => ({ host: row.host_id, kind: row.kind, id: row.id, at: row.at, data: JSON.parse(row.data) as Record<string, unknown> }));
  }

  async tasks(query: FleetTaskQuery): Promise<FleetTask[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    for (const [column, value] of [
      ['host_id', query.host],
      ['service', query.service],
      ['status', query.status],
    ] as const) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    const rows = this.database
      .prepare(`SELECT host_id, data FROM fleet_tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY detected_at DESC, id DESC LIMIT ?`)
      .all(...params, query.limit) as Array<{ host_id: string; data: string }>;
    return rows.map((row) => ({ ...(JSON.parse(row.data) as Task), host: row.host_id }));
  }

  async task(hostId: string, id: string): Promise<FleetTask | undefined> {
    const data = this.database.prepare('SELECT data FROM fleet_tasks WHERE host_id = ? AND id = ?').pluck().get(hostId, id) as string | undefined;
    return data === undefined ? undefined : { ...(JSON.parse(data) as Task), host: hostId };
  }

  async attempts(hostId: string, taskId: string): Promise<Attempt[]> {
    const rows = this.database.prepare('SELECT data FROM fleet_attempts WHERE host_id = ? AND task_id = ? ORDER BY started_at, id').pluck().all(hostId, taskId) as string[];
    return rows.map((data) => stripService(JSON.parse(data) as Attempt & { service?: string }));
  }

  async escalations(query: { status?: Escalation['status']; limit: number }): Promise<Array<Escalation & { host: string }>> {
    const rows = this.database
      .prepare(`SELECT host_id, data FROM fleet_escalations ${query.status ? 'WHERE status = ?' : ''} ORDER BY created_at DESC, id DESC LIMIT ?`)
      .all(...(query.status ? [query.status] : []), query.limit) as Array<{ host_id: string; data: string }>;
    return rows.map((row) => ({ ...(JSON.parse(row.data) as Escalation), host: row.host_id }));
  }

  async taskCounts(): Promise<Array<{ host: string; service: string; status: Task['status']; count: number }>> {
    return this.database
      .prepare('SELECT host_id AS host, service, status, COUNT(*) AS count FROM fleet_tasks GROUP BY host_id, service, status ORDER BY host_id, service, status')
      .all() as Array<{
      host: string;
      service: string;
      status: Task['status'];
      count: number;
    }>;
  }

  async patternsFor(query: { service: string; profile: string | null; signature: string }): Promise<FleetPatternRow[]> {
    const rows = this.database
      .prepare('SELECT data FROM fleet_patterns WHERE signature = ? AND (service = ? OR (profile IS NOT NULL AND profile = ?)) ORDER BY host_id, service, plan_key')
      .pluck()
      .all(query.signature, query.service, query.profile) as string[];
    return rows.map((data) => JSON.parse(data) as FleetPatternRow);
  }

  async patterns(): Promise<FleetPatternRow[]> {
    const rows = this.database.prepare('SELECT data FROM fleet_patterns ORDER BY service, signature, host_id, plan_key').pluck().all() as string[];
    return rows.map((data) => JSON.parse(data) as FleetPatternRow);
  }

  async acquireLease(input: { key: string; holder: string; limit: number; ttlMs: number; now: number }): Promise<LeaseResult> {
    const { key, holder, limit, ttlMs, now } = input;
    return this.database
      .transaction((): LeaseResult => {
        this.database.prepare('DELETE FROM fleet_leases WHERE key = ? AND expires_at <= ?').run(key, now);
        const others = (this.database.prepare('SELECT * FROM fleet_leases WHERE key = ? AND holder != ? ORDER BY acquired_at').all(key, holder) as LeaseRow[]).map(toLease);
        const own = this.database.prepare('SELECT * FROM fleet_leases WHERE key = ? AND holder = ?').get(key, holder) as LeaseRow | undefined;
        if (!own && others.length >= limit) return { granted: false, heldBy: others };
        const acquiredAt = own?.acquired_at ?? now;
        this.database
          .prepare('INSERT INTO fleet_leases (key, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (key, holder) DO UPDATE SET expires_at = excluded.expires_at')
          .run(key, holder, acquiredAt, now + ttlMs);
        return { granted: true, lease: { key, holder, acquiredAt, expiresAt: now + ttlMs } };
      })
      .immediate();
  }

  async releaseLease(key: string, holder: string): Promise<void> {
    this.database.prepare('DELETE FROM fleet_leases WHERE key = ? AND holder = ?').run(key, holder);
  }

  async leases(now: number): Promise<Lease[]> {
    return (this.database.prepare('SELECT * FROM fleet_leases WHERE expires_at > ? ORDER BY key, acquired_at, holder').all(now) as LeaseRow[]).map(toLease);
  }

  async fleetSilences(now: number): Promise<Silence[]> {
    const rows = this.database.prepare('SELECT data FROM fleet_silences WHERE expired_at IS NULL AND ends_at > ? ORDER BY ends_at, id').pluck().all(now) as string[];
    return rows.map((data) => JSON.parse(data) as Silence);
  }

  async addFleetSilence(silence: Silence): Promise<void> {
    this.database.prepare('INSERT INTO fleet_silences (id, ends_at, expired_at, data) VALUES (?, ?, NULL, ?)').run(silence.id, silence.endsAt, JSON.stringify(silence));
  }

  async expireFleetSilence(id: string, by: string, at: number): Promise<boolean> {
    return this.database.transaction(() => {
      const data = this.database.prepare('SELECT data FROM fleet_silences WHERE id = ? AND expired_at IS NULL AND ends_at > ?').pluck().get(id, at) as string | undefined;
      if (data === undefined) return false;
      const expired: Silence = { ...(JSON.parse(data) as Silence), expiredAt: at, expiredBy: by };
      this.database.prepare('UPDATE fleet_silences SET expired_at = ?, data = ? WHERE id = ?').run(at, JSON.stringify(expired), id);
      return true;
    })();
  }

  async fleetPause(): Promise<FleetPause> {
    const row = this.database.prepare(`SELECT value FROM fleet_controls WHERE key = 'pause'`).pluck().get() as string | undefined;
    return row ? (JSON.parse(row) as FleetPause) : NOT_PAUSED;
  }

  async setFleetPause(pause: { paused: boolean; by: string; reason?: string; at: number }): Promise<void> {
    const value: FleetPause = pause.paused ? { paused: true, by: pause.by, reason: pause.reason ?? null, since: pause.at } : NOT_PAUSED;
    this.database
      .prepare(
        `INSERT INTO fleet_controls (key, value, updated_at) VALUES ('pause', ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      )
      .run(JSON.stringify(value), pause.at);
  }

  async close(): Promise<void> {
    this.database.close();
  }
}

const EMPTY_SUMMARY: HostSummary = { services: 0, failing: 0, escalated: 0, paused: false };
const NOT_PAUSED: FleetPause = { paused: false, by: null, reason: null, since: null };

interface LeaseRow {
  key: string;
  holder: string;
  acquired_at: number;
  expires_at: number;
}

function toLease(row: LeaseRow): Lease {
  return { key: row.key, holder: row.holder, acquiredAt: row.acquired_at, expiresAt: row.expires_at };
}

function stripService(attempt: Attempt & { service?: string }): Attempt {
  const { service: _service, ...rest } = attempt;
  return rest;
}
