/**
 * The fleet store port: what the daemons of many hosts share. Each daemon keeps its own SQLite stores as its
 * working store and write-ahead queue (detection and fixing never wait on the network, and nothing is lost while
 * the shared database is down); its rows are replicated here with its host id, and the fleet's coordination
 * (hosts and heartbeats, fleet leases, fleet-wide learning, the fleet kill switch) lives only here.
 *
 * Two backends implement it and pass one conformance suite (test/store/fleet-store.conformance.ts): PostgreSQL
 * for a fleet (postgres-fleet-store.ts) and SQLite for one host and for tests (sqlite-fleet-store.ts). Every
 * method is one transaction; times are epoch milliseconds.
 */
import type { Action, Attempt, LearnedPattern, Task } from '../../core/types.js';
import type { Escalation } from '../escalation-repository.js';
import type { Silence } from '../silence-repository.js';

/** A host as it registered: a stable id (data directory's host-id file) and the name people know it by. */
export interface HostRecord {
  id: string;
  name: string;
  version: string;
  startedAt: number;
}

/** A host as the fleet sees it. */
export interface FleetHost extends HostRecord {
  lastSeen: number;
  /** What its last heartbeat said: services watched, being fixed, escalated. */
  summary: HostSummary;
  /** Set while one open host-silent escalation stands for it (raised by another daemon). */
  silentSince: number | null;
}

export interface HostSummary {
  services: number;
  failing: number;
  escalated: number;
  paused: boolean;
}

/** A learned pattern with the host it was learned on and, for matching across hosts, the service's profile. */
export interface FleetPatternRow extends Omit<LearnedPattern, 'confidence' | 'weightedSuccesses' | 'weightedFailures'> {
  host: string;
  profile: string | null;
}

/** A fleet lease: the right to run `key` (an action on a service) on one host until `expiresAt`. */
export interface Lease {
  key: string;
  holder: string;
  acquiredAt: number;
  expiresAt: number;
}

/** The outcome of asking for a lease: granted, or held by these hosts up to the limit. */
export type LeaseResult = { granted: true; lease: Lease } | { granted: false; heldBy: Lease[] };

/** The fleet-wide kill switch. */
export interface FleetPause {
  paused: boolean;
  by: string | null;
  reason: string | null;
  since: number | null;
}

/** A replicated row, as the fleet dashboard reads it back. */
export interface FleetTask extends Task {
  host: string;
}

/** The host's other repositories, replicated as their rows are: agents' verdicts, state, last-known-good states, the outbox. */
export type FleetRowKind = 'verdicts' | 'state' | 'service_states' | 'outbox';
export const FLEET_ROW_KINDS: readonly FleetRowKind[] = ['verdicts', 'state', 'service_states', 'outbox'];

/** One such row: its key in its table, when it was replicated, and its columns. */
export interface FleetRow {
  host: string;
  kind: FleetRowKind;
  id: string;
  at: number;
  data: Record<string, unknown>;
}

export interface FleetTaskQuery {
  host?: string;
  service?: string;
  status?: Task['status'];
  limit: number;
}

export interface FleetStore {
  /** The dialect, for logs and `status`. */
  readonly kind: 'postgres' | 'sqlite';
  /** Brings the schema to the newest version (idempotent); returns that version. */
  migrate(): Promise<number>;

  /** Registers a host or updates its name and version; the id never changes. */
  registerHost(host: HostRecord): Promise<void>;
  /** Records that the host is alive now, with what it watches. */
  heartbeat(hostId: string, at: number, summary: HostSummary): Promise<void>;
  hosts(): Promise<FleetHost[]>;
  /**
   * Claims, exactly once across the fleet, that `hostId` has gone silent (last seen before `silentBefore`): true
   * for the one caller that should raise the escalation. It stands until clearSilentHost (a heartbeat does not
   * clear it: returnedHosts then lists the host, so the raiser can resolve its escalation first).
   */
  claimSilentHost(hostId: string, silentBefore: number, at: number): Promise<boolean>;
  /** The hosts whose silence was claimed and that have reported since (their escalation can be resolved). */
  returnedHosts(): Promise<string[]>;
  /** Forgets that a returned host was silent, once its escalation is resolved. */
  clearSilentHost(hostId: string): Promise<void>;

  /** Upserts a host's tasks, attempts, escalations and patterns (idempotent: the same rows twice change nothing). */
  pushTasks(hostId: string, tasks: readonly Task[]): Promise<void>;
  pushAttempts(hostId: string, attempts: ReadonlyArray<Attempt & { service: string }>): Promise<void>;
  pushEscalations(hostId: string, escalations: readonly Escalation[]): Promise<void>;
  pushPatterns(hostId: string, patterns: ReadonlyArray<LearnedPattern & { profile: string | null }>): Promise<void>;

  /** Upserts rows of one of the host's other repositories (idempotent), replicated at `at`. */
  pushRows(hostId: string, kind: FleetRowKind, rows: ReadonlyArray<{ id: string; data: Record<string, unknown> }>, at: number): Promise<void>;
  /** Such rows, the most recently replicated first. */
  rows(query: { kind: FleetRowKind; host?: string; limit: number }): Promise<FleetRow[]>;

  /** Tasks of the fleet, newest first. */
  tasks(query: FleetTaskQuery): Promise<FleetTask[]>;
  /** One host's task by id. */
  task(hostId: string, id: string): Promise<FleetTask | undefined>;
  /** One host's attempts for a task, oldest first. */
  attempts(hostId: string, taskId: string): Promise<Attempt[]>;
  /** Escalations of the fleet, newest first. */
  escalations(query: { status?: Escalation['status']; limit: number }): Promise<Array<Escalation & { host: string }>>;
  /** Per host: tasks by status. */
  taskCounts(): Promise<Array<{ host: string; service: string; status: Task['status']; count: number }>>;
  /** Patterns for a signature learned on any host for the same service name or the same profile. */
  patternsFor(query: { service: string; profile: string | null; signature: string }): Promise<FleetPatternRow[]>;
  /** Every pattern with its per-host record. */
  patterns(): Promise<FleetPatternRow[]>;

  /**
   * A lease on `key` for `holder` when fewer than `limit` unexpired leases on it are held by others (a holder's
   * own lease is renewed); expired leases never count, so a daemon that died holding one releases it by expiry.
   */
  acquireLease(input: { key: string; holder: string; limit: number; ttlMs: number; now: number }): Promise<LeaseResult>;
  releaseLease(key: string, holder: string): Promise<void>;
  leases(now: number): Promise<Lease[]>;

  /** Fleet-wide silences not ended by `now` (in force or to come): they hold the matching services on every host. */
  fleetSilences(now: number): Promise<Silence[]>;
  addFleetSilence(silence: Silence): Promise<void>;
  /** Ends a fleet silence now; false when there is none by that id in force. */
  expireFleetSilence(id: string, by: string, at: number): Promise<boolean>;

  fleetPause(): Promise<FleetPause>;
  setFleetPause(pause: { paused: boolean; by: string; reason?: string; at: number }): Promise<void>;

  close(): Promise<void>;
}

/** A pattern's actions and key, for the phase-1 candidates built from fleet rows. */
export type FleetPlan = Pick<LearnedPattern, 'planKey'> & { actions: Action[] };

/** A pattern as the fleet keeps it: its counts, actions and profile (its host is the row's); the reader computes confidence. */
export function fleetPatternRecord(pattern: LearnedPattern & { profile: string | null }): Omit<FleetPatternRow, 'host'> {
  return {
    profile: pattern.profile,
    service: pattern.service,
    signature: pattern.signature,
    planKey: pattern.planKey,
    actions: pattern.actions,
    successes: pattern.successes,
    failures: pattern.failures,
    lastUsed: pattern.lastUsed,
  };
}
