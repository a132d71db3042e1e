/**
 * The fleet store on PostgreSQL: the database the daemons of a fleet share. Same port and same conformance suite
 * as SQLite's (sqlite-fleet-store.ts); whole rows are kept as jsonb in `data` beside the columns they are looked up
 * by, times are epoch milliseconds in bigint columns (read back as JS numbers through `::float8`), and every method
 * is one transaction: a single statement on the pool, or BEGIN/COMMIT on one pooled client for more.
 *
 * The client is `pg` (node-postgres): the de-facto standard PostgreSQL client for Node, maintained, pure
 * JavaScript, with a connection pool built in.
 */
import pg from 'pg';
import { OrchestratorError } from '../../core/errors.js';
import type { Attempt, LearnedPattern, Task } from '../../core/types.js';
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

/**
 * Append only: the index + 1 is the schema version recorded in schema_migrations (the same idea as the SQLite
 * stores' user_version: a number that only grows). Never edit a released entry; add one.
 */
export const POSTGRES_FLEET_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE fleet_hosts (
    id text PRIMARY KEY, name text NOT NULL, version text NOT NULL, started_at bigint NOT NULL,
    last_seen bigint NOT NULL, summary jsonb NOT NULL, silent_since bigint
  );
  CREATE TABLE fleet_tasks (
    host_id text NOT NULL, id text NOT NULL, service text NOT NULL, status text NOT NULL, detected_at bigint NOT NULL,
    data jsonb NOT NULL, PRIMARY KEY (host_id, id)
  );
  CREATE INDEX fleet_tasks_detected ON fleet_tasks (detected_at DESC);
  CREATE INDEX fleet_tasks_service ON fleet_tasks (host_id, service);
  CREATE TABLE fleet_attempts (
    host_id text NOT NULL, id text NOT NULL, task_id text NOT NULL, started_at bigint NOT NULL, data jsonb NOT NULL,
    PRIMARY KEY (host_id, id)
  );
  CREATE INDEX fleet_attempts_task ON fleet_attempts (host_id, task_id);
  CREATE TABLE fleet_escalations (
    host_id text NOT NULL, id text NOT NULL, status text NOT NULL, created_at bigint NOT NULL, data jsonb NOT NULL,
    PRIMARY KEY (host_id, id)
  );
  CREATE INDEX fleet_escalations_created ON fleet_escalations (created_at DESC);
  CREATE TABLE fleet_patterns (
    host_id text NOT NULL, service text NOT NULL, profile text, signature text NOT NULL, plan_key text NOT NULL,
    data jsonb NOT NULL, PRIMARY KEY (host_id, service, signature, plan_key)
  );
  CREATE INDEX fleet_patterns_signature ON fleet_patterns (signature);
  CREATE TABLE fleet_leases (
    key text NOT NULL, holder text NOT NULL, acquired_at bigint NOT NULL, expires_at bigint NOT NULL,
    PRIMARY KEY (key, holder)
  );
  CREATE TABLE fleet_controls (key text PRIMARY KEY, value jsonb NOT NULL, updated_at bigint NOT NULL);
  `,
  `
  CREATE TABLE fleet_silences (id text PRIMARY KEY, ends_at bigint NOT NULL, expired_at bigint, data jsonb NOT NULL);
  `,
  `
  CREATE TABLE fleet_rows (
    host_id text NOT NULL, kind text NOT NULL, id text NOT NULL, at bigint NOT NULL, data jsonb NOT NULL,
    PRIMARY KEY (host_id, kind, id)
  );
  CREATE INDEX fleet_rows_kind ON fleet_rows (kind, at DESC);
  `,
];

/**
 * The advisory lock migrations hold, so daemons migrating at once take turns. Outside the int4 range on purpose:
 * the leases lock hashtext(key), an int4, in the same single-bigint key space, and must never collide with it.
 */
const MIGRATION_LOCK = 0x0f1ee7_5c4e3an.toString();

/** How long a migration may take (the server's statement_timeout and the client's query_timeout, in ms). */
const MIGRATION_TIMEOUT_MS = 300_000;

/** Rows per INSERT of a push: one statement per batch keeps the parameters (and a failed batch) bounded. */
const BATCH_ROWS = 500;

export interface PostgresFleetStoreOptions {
  /** postgresql://user:password@host:port/database (libpq's URL form, with ?sslmode= and the rest). */
  connectionString: string;
  /** Connections in the pool (default 4: a daemon's fleet work is a few small statements at a time). */
  poolMax?: number;
  /** Told of connections that fail while idle in the pool (a server restart); they are already dropped. */
  onError?: (error: Error) => void;
}

export class PostgresFleetStore implements FleetStore {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  private closed = false;

  /** Given a pool, the store owns it from then on: close() ends it. */
  constructor(options: PostgresFleetStoreOptions | pg.Pool) {
    const onError = options instanceof pg.Pool ? undefined : options.onError;
    this.pool =
      options instanceof pg.Pool
        ? options
        : new pg.Pool({
            connectionString: options.connectionString,
            max: options.poolMax ?? 4,
            connectionTimeoutMillis: 10_000,
            // Server side: no statement runs longer, no transaction sits idle holding locks (a daemon that hung).
            statement_timeout: 10_000,
            idle_in_transaction_session_timeout: 30_000,
            // Client side too: a network that drops packets silently leaves no socket error to wait for.
            query_timeout: 15_000,
            idleTimeoutMillis: 30_000,
            keepAlive: true,
            application_name: 'orchestrator-fleet',
          });
    // An idle client whose server went away (restart, failover, idle timeout) emits 'error' on the pool, which
    // would be an uncaught exception without a listener. The pool has already dropped it; the next call connects
    // anew, and calls made meanwhile reject with their own error.
    this.pool.on('error', (error) => onError?.(error));
  }

  async migrate(): Promise<number> {
    return this.transaction(async (client) => {
      // Migrations may build indexes on big tables, or wait for another daemon's: longer than everyday statements.
      // (pg takes a query_timeout per query; @types/pg does not list it, hence the object is not a literal here.)
      const slow = (text: string, values?: unknown[]) => {
        const query = { text, values, query_timeout: MIGRATION_TIMEOUT_MS };
        return client.query(query);
      };
      await slow(`SET LOCAL statement_timeout = ${MIGRATION_TIMEOUT_MS}`);
      await slow('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK]);
      await slow('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
      const { rows } = await slow('SELECT COALESCE(max(version), 0) AS version FROM schema_migrations');
      let version = (rows[0] as { version: number }).version;
      if (version > POSTGRES_FLEET_MIGRATIONS.length) {
        throw new OrchestratorError(
          'SCHEMA_TOO_NEW',
          `the fleet database has schema version ${version}, newer than this orchestrator knows (${POSTGRES_FLEET_MIGRATIONS.length}); upgrade the orchestrator`,
        );
      }
      for (; version < POSTGRES_FLEET_MIGRATIONS.length; version++) {
        await slow(POSTGRES_FLEET_MIGRATIONS[version]!);
        await slow('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())', [version + 1]);
      }
      return version;
    });
  }

  async registerHost(host: HostRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO fleet_hosts (id, name, version, started_at, last_seen, summary) VALUES ($1, $2, $3, $4, $4, $5::jsonb)
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, version = EXCLUDED.version, started_at = EXCLUDED.started_at`,
      [host.id, host.name, host.version, ms(host.startedAt), toJson(EMPTY_SUMMARY)],
    );
  }

  async heartbeat(hostId: string, at: number, summary: HostSummary): Promise<void> {
    // silent_since stays: a claimed host that reports again is "returned" until its escalation is resolved.
    await this.pool.query('UPDATE fleet_hosts SET last_seen = GREATEST(last_seen, $2), summary = $3::jsonb WHERE id = $1', [hostId, ms(at), toJson(summary)]);
  }

  async hosts(): Promise<FleetHost[]> {
    const { rows } = await this.pool.query<FleetHost>(
      `SELECT id, name, version, started_at::float8 AS "startedAt", last_seen::float8 AS "lastSeen", summary, silent_since::float8 AS "silentSince"
       FROM fleet_hosts ORDER BY name, id`,
    );
    return rows;
  }

  async claimSilentHost(hostId: string, silentBefore: number, at: number): Promise<boolean> {
    // One statement: the row lock makes concurrent claimers wait, and they then see silent_since already set.
    const { rowCount } = await this.pool.query('UPDATE fleet_hosts SET silent_since = $3 WHERE id = $1 AND silent_since IS NULL AND last_seen < $2 RETURNING id', [
      hostId,
      ms(silentBefore),
      ms(at),
    ]);
    return (rowCount ?? 0) > 0;
  }

  async returnedHosts(): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>('SELECT id FROM fleet_hosts WHERE silent_since IS NOT NULL AND last_seen > silent_since ORDER BY id');
    return rows.map((row) => row.id);
  }

  async clearSilentHost(hostId: string): Promise<void> {
    await this.pool.query('UPDATE fleet_hosts SET silent_since = NULL WHERE id = $1', [hostId]);
  }

  async pushTasks(hostId: string, tasks: readonly Task[]): Promise<void> {
    await this.upsert(TASKS, hostId, tasks);
  }

  async pushAttempts(hostId: string, attempts: ReadonlyArray<Attempt & { service: string }>): Promise<void> {
    await this.upsert(ATTEMPTS, hostId, attempts);
  }

  async pushEscalations(hostId: string, escalations: readonly Escalation[]): Promise<void> {
    await this.upsert(ESCALATIONS, hostId, escalations);
  }

  async pushPatterns(hostId: string, patterns: ReadonlyArray<LearnedPattern & { profile: string | null }>): Promise<void> {
    await this.upsert(PATTERNS, hostId, patterns);
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
      params.push(value);
      where.push(`${column} = $${params.length}`);
    }
    params.push(limit(query.limit));
    const { rows } = await this.pool.query<{ host_id: string; data: Task }>(
      `SELECT host_id, data FROM fleet_tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY detected_at DESC, id DESC, host_id LIMIT $${params.length}`,
      params,
    );
    return rows.map((row) => ({ ...row.data, host: row.host_id }));
  }

  async pushRows(hostId: string, kind: FleetRowKind, rows: ReadonlyArray<{ id: string; data: Record<string, unknown> }>, at: number): Promise<void> {
    if (rows.length === 0) return;
    // The last of a key repeated in one push wins (one statement may not update a row twice).
    const unique = [...new Map(rows.map((row) => [row.id, row])).values()];
    await this.transaction(async (client) => {
      for (let offset = 0; offset < unique.length; offset += BATCH_ROWS) {
        const batch = unique.slice(offset, offset + BATCH_ROWS);
        await client.query(
          `INSERT INTO fleet_rows (host_id, kind, id, at, data)
           SELECT $1, $2, id, $3, data::jsonb FROM unnest($4::text[], $5::text[]) AS rows (id, data)
           ON CONFLICT (host_id, kind, id) DO UPDATE SET at = EXCLUDED.at, data = EXCLUDED.data WHERE fleet_rows.data IS DISTINCT FROM EXCLUDED.data`,
          [hostId, kind, ms(at), batch.map((row) => row.id), batch.map((row) => toJson(row.data))],
        );
      }
    });
  }

  async rows(query: { kind: FleetRowKind; host?: string; limit: number }): Promise<FleetRow[]> {
    const { rows } = await this.pool.query<{ host_id: string; kind: FleetRowKind; id: string; at: string; data: Record<string, unknown> }>(
      `SELECT host_id, kind, id, at, data FROM fleet_rows WHERE kind = $1 AND ($2::text IS NULL OR host_id = $2) ORDER BY at DESC, host_id, id LIMIT $3`,
      [query.kind, query.host ?? null, query.limit],
    );
    return rows.map((row) => ({ host: row.host_id, kind: row.kind, id: row.id, at: Number(row.at), data: row.data }));
  }

  async task(hostId: string, id: string): Promise<FleetTask | undefined> {
    const { rows } = await this.pool.query<{ data: Task }>('SELECT data FROM fleet_tasks WHERE host_id = $1 AND id = $2', [hostId, id]);
    return rows[0] && { ...rows[0].data, host: hostId };
  }

  async attempts(hostId: string, taskId: string): Promise<Attempt[]> {
    const { rows } = await this.pool.query<{ data: Attempt & { service?: string } }>(
      'SELECT data FROM fleet_attempts WHERE host_id = $1 AND task_id = $2 ORDER BY started_at, id',
      [hostId, taskId],
    );
    // The service was kept for the fleet's own use; an Attempt has none.
    return rows.map(({ data: { service: _service, ...attempt } }) => attempt);
  }

  async escalations(query: { status?: Escalation['status']; limit: number }): Promise<Array<Escalation & { host: string }>> {
    const params: unknown[] = query.status ? [query.status, limit(query.limit)] : [limit(query.limit)];
    const { rows } = await this.pool.query<{ host_id: string; data: Escalation }>(
      `SELECT host_id, data FROM fleet_escalations ${query.status ? 'WHERE status = $1' : ''} ORDER BY created_at DESC, id DESC, host_id LIMIT $${params.length}`,
      params,
    );
    return rows.map((row) => ({ ...row.data, host: row.host_id }));
  }

  async taskCounts(): Promise<Array<{ host: string; service: string; status: Task['status']; count: number }>> {
    const { rows } = await this.pool.query<{ host: string; service: string; status: Task['status']; count: number }>(
      'SELECT host_id AS host, service, status, count(*)::int AS count FROM fleet_tasks GROUP BY host_id, service, status ORDER BY host_id, service, status',
    );
    return rows;
  }

  async patternsFor(query: { service: string; profile: string | null; signature: string }): Promise<FleetPatternRow[]> {
    const { rows } = await this.pool.query<PatternRow>(
      'SELECT host_id, data FROM fleet_patterns WHERE signature = $1 AND (service = $2 OR (profile IS NOT NULL AND profile = $3)) ORDER BY host_id, service, plan_key',
      [query.signature, query.service, query.profile],
    );
    return rows.map((row) => ({ ...row.data, host: row.host_id }));
  }

  async patterns(): Promise<FleetPatternRow[]> {
    const { rows } = await this.pool.query<PatternRow>('SELECT host_id, data FROM fleet_patterns ORDER BY service, signature, host_id, plan_key');
    return rows.map((row) => ({ ...row.data, host: row.host_id }));
  }

  async acquireLease(input: { key: string; holder: string; limit: number; ttlMs: number; now: number }): Promise<LeaseResult> {
    const { key, holder } = input;
    const now = ms(input.now);
    const expiresAt = ms(input.now + input.ttlMs);
    return this.transaction(async (client): Promise<LeaseResult> => {
      // Daemons asking for the same key take turns (nothing to lock a row on while no lease exists yet); each
      // statement after the lock sees what the one before committed (READ COMMITTED).
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
      await client.query('DELETE FROM fleet_leases WHERE key = $1 AND expires_at <= $2', [key, now]);
      const { rows } = await client.query<Lease>(`SELECT ${LEASE_COLUMNS} FROM fleet_leases WHERE key = $1 ORDER BY acquired_at, holder`, [key]);
      const own = rows.find((lease) => lease.holder === holder);
      const others = rows.filter((lease) => lease.holder !== holder);
      // A holder's own lease is renewed (as SQLite's: even when the limit was lowered since it was granted).
      if (!own && others.length >= input.limit) return { granted: false, heldBy: others };
      const acquiredAt = own?.acquiredAt ?? now;
      await client.query(
        'INSERT INTO fleet_leases (key, holder, acquired_at, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT (key, holder) DO UPDATE SET expires_at = EXCLUDED.expires_at',
        [key, holder, acquiredAt, expiresAt],
      );
      return { granted: true, lease: { key, holder, acquiredAt, expiresAt } };
    });
  }

  async releaseLease(key: string, holder: string): Promise<void> {
    await this.pool.query('DELETE FROM fleet_leases WHERE key = $1 AND holder = $2', [key, holder]);
  }

  async leases(now: number): Promise<Lease[]> {
    const { rows } = await this.pool.query<Lease>(`SELECT ${LEASE_COLUMNS} FROM fleet_leases WHERE expires_at > $1 ORDER BY key, acquired_at, holder`, [ms(now)]);
    return rows;
  }

  async fleetSilences(now: number): Promise<Silence[]> {
    const { rows } = await this.pool.query<{ data: Silence }>('SELECT data FROM fleet_silences WHERE expired_at IS NULL AND ends_at > $1 ORDER BY ends_at, id', [ms(now)]);
    return rows.map((row) => row.data);
  }

  async addFleetSilence(silence: Silence): Promise<void> {
    await this.pool.query('INSERT INTO fleet_silences (id, ends_at, expired_at, data) VALUES ($1, $2, NULL, $3::jsonb)', [silence.id, ms(silence.endsAt), toJson(silence)]);
  }

  async expireFleetSilence(id: string, by: string, at: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE fleet_silences SET expired_at = $3, data = data || jsonb_build_object('expiredAt', $3::bigint, 'expiredBy', $2::text)
       WHERE id = $1 AND expired_at IS NULL AND ends_at > $3`,
      [id, by, ms(at)],
    );
    return (rowCount ?? 0) > 0;
  }

  async fleetPause(): Promise<FleetPause> {
    const { rows } = await this.pool.query<{ value: FleetPause }>(`SELECT value FROM fleet_controls WHERE key = 'pause'`);
    return rows[0]?.value ?? NOT_PAUSED;
  }

  async setFleetPause(pause: { paused: boolean; by: string; reason?: string; at: number }): Promise<void> {
    const value: FleetPause = pause.paused ? { paused: true, by: pause.by, reason: pause.reason ?? null, since: pause.at } : NOT_PAUSED;
    await this.pool.query(
      `INSERT INTO fleet_controls (key, value, updated_at) VALUES ('pause', $1::jsonb, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`,
      [toJson(value), ms(pause.at)],
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  /** Runs `work` between BEGIN and COMMIT on one client (ROLLBACK when it throws). */
  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A checked-out client has no pool listener: without this, its connection dying between two statements of
    // the transaction would be an uncaught 'error'. A broken client is destroyed on release, not reused.
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken = error;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      if (!broken)
        broken = await client.query('ROLLBACK').then(
          () => undefined,
          (rollbackError: Error) => rollbackError,
        );
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  /** Upserts rows in batches of BATCH_ROWS, one INSERT ... SELECT FROM unnest(...) ON CONFLICT per batch. */
  private async upsert<T>(table: Table<T>, hostId: string, rows: readonly T[]): Promise<void> {
    const batches = chunks(latestByKey(table, rows), BATCH_ROWS);
    const sql = upsertSql(table);
    const params = (batch: readonly unknown[][]) => [hostId, ...table.columns.map((column, index) => batch.map((values) => values[index]))];
    if (batches.length === 0) return;
    if (batches.length === 1) {
      await this.pool.query(sql, params(batches[0]!));
      return;
    }
    await this.transaction(async (client) => {
      for (const batch of batches) await client.query(sql, params(batch));
    });
  }
}

const EMPTY_SUMMARY: HostSummary = { services: 0, failing: 0, escalated: 0, paused: false };
const NOT_PAUSED: FleetPause = { paused: false, by: null, reason: null, since: null };
/** The host is its column; the rest of the row is `data`. */
type PatternRow = { host_id: string; data: Omit<FleetPatternRow, 'host'> };
const LEASE_COLUMNS = `key, holder, acquired_at::float8 AS "acquiredAt", expires_at::float8 AS "expiresAt"`;

/** How a replicated kind of row maps to its table: the columns after host_id, and the values of one row. */
interface Table<T> {
  name: string;
  /** The primary key's columns after host_id. */
  key: readonly string[];
  columns: ReadonlyArray<{ name: string; type: 'text' | 'bigint' | 'jsonb' }>;
  values(row: T): unknown[];
}

const text = (name: string) => ({ name, type: 'text' as const });
const bigint = (name: string) => ({ name, type: 'bigint' as const });
const jsonb = (name: string) => ({ name, type: 'jsonb' as const });

const TASKS: Table<Task> = {
  name: 'fleet_tasks',
  key: ['id'],
  columns: [text('id'), text('service'), text('status'), bigint('detected_at'), jsonb('data')],
  values: (task) => [task.id, task.service, task.status, ms(task.detectedAt), toJson(task)],
};

const ATTEMPTS: Table<Attempt & { service: string }> = {
  name: 'fleet_attempts',
  key: ['id'],
  columns: [text('id'), text('task_id'), bigint('started_at'), jsonb('data')],
  values: (attempt) => [attempt.id, attempt.taskId, ms(attempt.startedAt), toJson(attempt)],
};

const ESCALATIONS: Table<Escalation> = {
  name: 'fleet_escalations',
  key: ['id'],
  columns: [text('id'), text('status'), bigint('created_at'), jsonb('data')],
  values: (escalation) => [escalation.id, escalation.status, ms(escalation.createdAt), toJson(escalation)],
};

const PATTERNS: Table<LearnedPattern & { profile: string | null }> = {
  name: 'fleet_patterns',
  key: ['service', 'signature', 'plan_key'],
  columns: [text('service'), text('profile'), text('signature'), text('plan_key'), jsonb('data')],
  values: (pattern) => [pattern.service, pattern.profile, pattern.signature, pattern.planKey, toJson(fleetPatternRecord(pattern))],
};

/**
 * The upsert of one batch: each column comes as one array parameter ($2...; $1 is the host). A row that is
 * already there with the same data is left alone, so pushing the same rows again writes nothing.
 */
function upsertSql<T>(table: Table<T>): string {
  const names = table.columns.map((column) => column.name);
  const arrays = table.columns.map((column, index) => `$${index + 2}::${column.type}[]`);
  const updates = names.filter((name) => !table.key.includes(name)).map((name) => `${name} = EXCLUDED.${name}`);
  return `INSERT INTO ${table.name} (host_id, ${names.join(', ')})
    SELECT $1, * FROM unnest(${arrays.join(', ')})
    ON CONFLICT (host_id, ${table.key.join(', ')}) DO UPDATE SET ${updates.join(', ')}
    WHERE ${table.name}.data IS DISTINCT FROM EXCLUDED.data`;
}

/** Each row's values, the last of rows with the same key only: one INSERT ... ON CONFLICT may not touch a row twice. */
function latestByKey<T>(table: Table<T>, rows: readonly T[]): unknown[][] {
  const keyIndexes = table.key.map((name) => table.columns.findIndex((column) => column.name === name));
  const byKey = new Map<string, unknown[]>();
  for (const row of rows) {
    const values = table.values(row);
    byKey.set(JSON.stringify(keyIndexes.map((index) => values[index])), values);
  }
  return [...byKey.values()];
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

/**
 * JSON for a jsonb parameter. jsonb cannot hold the NUL character (a log line may carry one): it becomes U+FFFD
 * rather than failing the whole batch.
 */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, each: unknown) => (typeof each === 'string' && each.includes('\u0000') ? each.replaceAll('\u0000', '\uFFFD') : each));
}

/** Epoch milliseconds for a bigint column (which takes no fraction). */
function ms(time: number): number {
  return Math.round(time);
}

function limit(value: number): number {
  return Math.max(0, Math.floor(value));
}
