/** Schema migrations for tasks.db and escalations.db. Append only: never edit a released entry. */
import type { Migrations } from './database.js';

/** Rows changed since the fleet store last took them, in each database (the triggers exist while a fleet store is configured). */
const REPLICATION_QUEUE = `
  CREATE TABLE replication_queue (
    tbl TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (tbl, id)
  ) WITHOUT ROWID;
  CREATE INDEX replication_queue_seq ON replication_queue (seq);
  `;

export const TASKS_MIGRATIONS: Migrations = [
  `
  CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    service TEXT NOT NULL,
    unit TEXT,
    check_id TEXT NOT NULL,
    symptom TEXT NOT NULL,
    signature TEXT NOT NULL,
    status TEXT NOT NULL,
    phase INTEGER,
    message TEXT NOT NULL,
    evidence TEXT NOT NULL,
    detected_at TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    occurrences INTEGER NOT NULL DEFAULT 1,
    closed_at TEXT,
    fix_successful INTEGER NOT NULL DEFAULT 0,
    fixed_by_phase INTEGER,
    duration_ms INTEGER,
    reason TEXT
  );
  CREATE INDEX tasks_fingerprint ON tasks (fingerprint, status);
  CREATE INDEX tasks_detected_at ON tasks (detected_at);
  CREATE INDEX tasks_status ON tasks (status);

  CREATE TABLE attempts (
    id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL REFERENCES tasks (id),
    service TEXT NOT NULL,
    phase INTEGER NOT NULL,
    source TEXT NOT NULL,
    plan_key TEXT NOT NULL,
    actions TEXT NOT NULL,
    reason TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT,
    detail TEXT NOT NULL DEFAULT '',
    verification TEXT,
    acted INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX attempts_task ON attempts (task_id, started_at);
  CREATE INDEX attempts_service ON attempts (service, started_at);

  CREATE TABLE patterns (
    service TEXT NOT NULL,
    signature TEXT NOT NULL,
    plan_key TEXT NOT NULL,
    actions TEXT NOT NULL,
    successes INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    weighted_successes REAL NOT NULL DEFAULT 0,
    weighted_failures REAL NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    last_used TEXT NOT NULL,
    PRIMARY KEY (service, signature, plan_key)
  );

  CREATE TABLE cycles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    checks_run INTEGER NOT NULL,
    issues INTEGER NOT NULL,
    tasks_created INTEGER NOT NULL,
    already_tracked INTEGER NOT NULL,
    fixes INTEGER NOT NULL,
    escalations INTEGER NOT NULL
  );
  CREATE INDEX cycles_started ON cycles (started_at);

  CREATE TABLE state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  `,
  `
  CREATE TABLE verdicts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT NOT NULL REFERENCES tasks (id),
    phase INTEGER NOT NULL,
    agent TEXT NOT NULL,
    perspective TEXT NOT NULL,
    verdict TEXT,
    error TEXT,
    accepted INTEGER NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
  );
  CREATE INDEX verdicts_task ON verdicts (task_id, id);

  CREATE TABLE security_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT,
    agent TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX security_events_created ON security_events (created_at);
  `,
  // The dashboard's overview with many tasks: windows by detection time read from one covering index, the last
  // verified fixes without a sort, and each service's last fault without reading the table.
  `
  CREATE INDEX tasks_window ON tasks (detected_at, status, fix_successful, fixed_by_phase, id);
  CREATE INDEX tasks_recent_fixes ON tasks (closed_at) WHERE fix_successful = 1 AND closed_at IS NOT NULL AND duration_ms IS NOT NULL;
  CREATE INDEX tasks_service_last_seen ON tasks (service, last_seen);
  `,
  // Each service's last-known-good state (drift/service-state.ts), a few versions with their times.
  `
  CREATE TABLE service_states (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    service TEXT NOT NULL,
    taken_at TEXT NOT NULL,
    digest TEXT NOT NULL,
    state TEXT NOT NULL
  );
  CREATE INDEX service_states_service ON service_states (service, id);
  `,
  // Silences and maintenance windows (silences/), and the alerts Alertmanager sent (alerts/), by its fingerprint.
  `
  CREATE TABLE silences (
    id TEXT PRIMARY KEY,
    matchers TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    schedule TEXT,
    author TEXT NOT NULL,
    comment TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expired_at TEXT,
    expired_by TEXT
  );
  CREATE INDEX silences_ends ON silences (ends_at, expired_at);
  CREATE TABLE alerts (
    fingerprint TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    alertname TEXT NOT NULL,
    service TEXT,
    status TEXT NOT NULL,
    labels TEXT NOT NULL,
    annotations TEXT NOT NULL,
    generator_url TEXT,
    task_id TEXT,
    outcome TEXT NOT NULL,
    received INTEGER NOT NULL DEFAULT 1,
    first_received_at TEXT NOT NULL,
    last_received_at TEXT NOT NULL,
    resolved_at TEXT,
    PRIMARY KEY (fingerprint, starts_at)
  );
  CREATE INDEX alerts_service ON alerts (service, status);
  CREATE INDEX alerts_received ON alerts (last_received_at);
  `,
  REPLICATION_QUEUE,
];

export const ESCALATIONS_MIGRATIONS: Migrations = [
  `
  CREATE TABLE escalations (
    id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL,
    task_ids TEXT NOT NULL DEFAULT '[]',
    fingerprint TEXT NOT NULL,
    service TEXT NOT NULL,
    unit TEXT,
    symptom TEXT NOT NULL,
    signature TEXT NOT NULL DEFAULT '',
    cause_key TEXT,
    grouped TEXT NOT NULL DEFAULT '[]',
    reason TEXT NOT NULL,
    evidence TEXT NOT NULL,
    attempts TEXT NOT NULL,
    hypotheses TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL,
    occurrences INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    acknowledged_at TEXT,
    resolved_at TEXT,
    resolution TEXT,
    note TEXT,
    fixes TEXT NOT NULL DEFAULT '[]',
    reminders INTEGER NOT NULL DEFAULT 0,
    last_notified_at TEXT
  );
  CREATE INDEX escalations_fingerprint ON escalations (fingerprint, status);
  CREATE INDEX escalations_cause ON escalations (cause_key, status);
  CREATE INDEX escalations_status ON escalations (status, created_at);
  CREATE INDEX escalations_task ON escalations (task_id);
  `,
  `
  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    UNIQUE (channel, dedup_key)
  );
  CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
  `,
  `
  ALTER TABLE escalations ADD COLUMN retry_requested_at TEXT;
  `,
  // Named dashboard tokens (only their SHA-256) and login sessions (only the id's SHA-256), shared by every process
  // on the data directory; and who acknowledged, resolved or asked for a retry of an escalation.
  `
  CREATE TABLE access_tokens (
    name TEXT PRIMARY KEY,
    hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT,
    revoked_by TEXT
  );
  CREATE TABLE web_sessions (
    hash TEXT PRIMARY KEY,
    token_name TEXT NOT NULL REFERENCES access_tokens (name),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  );
  CREATE INDEX web_sessions_expires ON web_sessions (expires_at);
  CREATE INDEX web_sessions_token ON web_sessions (token_name);
  ALTER TABLE escalations ADD COLUMN acknowledged_by TEXT;
  ALTER TABLE escalations ADD COLUMN resolved_by TEXT;
  ALTER TABLE escalations ADD COLUMN retry_requested_by TEXT;
  `,
  REPLICATION_QUEUE,
];
