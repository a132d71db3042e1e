/**
 * This daemon as a member of a fleet (with store.postgres): it registers its host, heartbeats, replicates its rows,
 * watches the other hosts (one host-silent escalation for a host that stopped reporting, raised by exactly one
 * daemon, resolved when it is back), keeps the fleet kill switch, offers the fleet's learned patterns to phase 1,
 * and gates actions by the fleet budget (leases: at most N hosts run the same action on the same service at once).
 * The fleet store may be down at any time: nothing here throws into the daemon, and it says what it could not do.
 */
import type { Clock, FleetGate, IdGenerator } from '../core/ports.js';
import type { Logger } from '../core/logger.js';
import type { CompiledConfig, CompiledService } from '../config/compiled.js';
import type { LearnedPattern, Task } from '../core/types.js';
import { PolicyRefusal } from '../core/errors.js';
import type { Stores } from '../store/stores.js';
import type { Silence } from '../store/silence-repository.js';
import type { EscalationService } from '../escalation/escalation-service.js';
import type { FleetHost, FleetPause, FleetStore, HostRecord, HostSummary } from '../store/fleet/fleet-store.js';
import { Replicator, type ReplicationStatus } from './replicator.js';
import { withFleetPatterns, type CandidatePattern } from './fleet-learning.js';

/** How often a host waiting for a fleet lease asks again. */
export const LEASE_POLL_MS = 2_000;
/** How long a call to the fleet store may take before the host goes on alone. */
const FLEET_CALL_TIMEOUT_MS = 5_000;
const SILENT_SERVICE_PREFIX = 'host:';
/** How often the fleet status kept for `status` is rewritten when nothing in it changed. */
const STATUS_REFRESH_MS = 60_000;

export interface FleetMemberDependencies {
  fleet: FleetStore;
  stores: Stores;
  config: Pick<CompiledConfig, 'fleet' | 'services'>;
  host: HostRecord;
  clock: Clock;
  logger: Logger;
  newId: IdGenerator;
  /** What this host watches now, for its heartbeat. */
  summary(): HostSummary;
  /** Raises and resolves host-silent escalations (and notifies, as for any escalation). */
  escalations(): EscalationService;
}

export interface FleetStatus {
  kind: FleetStore['kind'];
  hostId: string;
  hostName: string;
  /** The fleet store answered the last call. */
  reachable: boolean;
  lastError: string | null;
  lastHeartbeatAt: number | null;
  replication: ReplicationStatus;
  hosts: FleetHost[];
  pause: FleetPause;
}

export class FleetMember implements FleetGate {
  private readonly replicator: Replicator;
  private hostsSeen: FleetHost[] = [];
  private pause: FleetPause = { paused: false, by: null, reason: null, since: null };
  private fleetSilences: Silence[] = [];
  private reachable = false;
  private lastError: string | null = null;
  private lastHeartbeatAt: number | null = null;
  private registered = false;
  private recorded: { material: string; at: number } | undefined;

  constructor(private readonly dependencies: FleetMemberDependencies) {
    const { stores, fleet, host, clock, logger, config } = dependencies;
    const profiles = new Map(config.services.map((service) => [service.name, service.profile?.name ?? null]));
    this.replicator = new Replicator({ stores, fleet, hostId: host.id, profileOf: (service) => profiles.get(service) ?? null, clock, logger });
  }

  /** One round: register (once), heartbeat, replicate, watch the other hosts, refresh the kill switch. Never throws. */
  async tick(): Promise<void> {
    const { fleet, host, clock, stores } = this.dependencies;
    try {
      if (!this.registered) {
        await this.call(() => fleet.migrate());
        await this.call(() => fleet.registerHost(host));
        // The first time this host joins, its whole history goes (idempotently); after an upgrade, what is new.
        stores.replication.enable({ backfill: 'new' });
        this.registered = true;
        this.dependencies.logger.info({ store: fleet.kind, host: host.name, hostId: host.id }, `joined the fleet as ${host.name}`);
      }
      await this.call(() => fleet.heartbeat(host.id, clock.now(), this.dependencies.summary()));
      this.lastHeartbeatAt = clock.now();
      this.hostsSeen = await this.call(() => fleet.hosts());
      this.pause = await this.call(() => fleet.fleetPause());
      this.fleetSilences = await this.call(() => fleet.fleetSilences(clock.now()));
      await this.watchHosts();
      this.succeeded();
    } catch (error) {
      this.failed(error);
    }
    // Replication keeps its own account of failures (and the rows wait here).
    if (this.registered) await this.replicator.flush();
    this.recordStatus();
  }

  /**
   * Keeps what `status` shows (another process) in the host's stores: when something in it changed, or once a
   * minute for the heartbeat's time, not at every tick (each write is a synced commit on the daemon's thread).
   */
  private recordStatus(): void {
    const { stores, clock } = this.dependencies;
    const { hosts, lastHeartbeatAt, replication, ...rest } = this.status();
    const material = JSON.stringify({ ...rest, hosts: hosts.length, backlog: replication.backlog, error: replication.error });
    const now = clock.now();
    if (material === this.recorded?.material && now - this.recorded.at < STATUS_REFRESH_MS) return;
    stores.state.setFleetStatus({ ...rest, lastHeartbeatAt, replication, hosts: hosts.length }, now);
    this.recorded = { material, at: now };
  }

  /**
   * Ticks every fleet.heartbeat until the signal aborts. While the fleet store cannot be reached it tries again
   * sooner, with backoff (1 s, 2 s, 4 s ... up to the heartbeat), so it catches up quickly without hammering it.
   */
  async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      await this.tick();
      failures = this.reachable && this.replicator.status().error === null ? 0 : failures + 1;
      try {
        await this.dependencies.clock.sleep(nextTickMs(this.dependencies.config.fleet.heartbeatMs, failures), signal);
      } catch {
        return;
      }
    }
  }

  /** The fleet budget and kill switch for an action (FleetGate). */
  async acquire(service: string, actionTypes: readonly string[], signal: AbortSignal): Promise<{ release(): Promise<void>; note?: string }> {
    const { fleet, host, clock, config, logger } = this.dependencies;
    if (this.pause.paused) throw new PolicyRefusal('paused', `the fleet's kill switch is on (by ${this.pause.by}${this.pause.reason ? `: ${this.pause.reason}` : ''})`);
    const keys = [...actionTypes].sort().map((type) => `${service}:${type}`);
    const began = clock.monotonic();
    const deadline = began + config.fleet.leaseForMs;
    const held: string[] = [];
    const waitedFor = new Set<string>();
    const renewal: { timer?: NodeJS.Timeout } = {};
    const release = async () => {
      clearInterval(renewal.timer);
      for (const key of held) await this.call(() => fleet.releaseLease(key, host.id)).catch(() => undefined); // expires anyway
    };
    try {
      for (const key of keys) {
        for (;;) {
          const result = await this.call(() => fleet.acquireLease({ key, holder: host.id, limit: this.budget(), ttlMs: config.fleet.leaseForMs, now: clock.now() }));
          if (result.granted) {
            held.push(key);
            break;
          }
          if (clock.monotonic() >= deadline) {
            throw new PolicyRefusal(
              'fleet_budget',
              `the fleet budget for ${key} is taken by ${result.heldBy.map((lease) => this.nameOf(lease.holder)).join(', ')} (at most ${this.budget()} host(s) at once)`,
            );
          }
          for (const lease of result.heldBy) waitedFor.add(this.nameOf(lease.holder));
          logger.info({ service, key, heldBy: result.heldBy.map((lease) => this.nameOf(lease.holder)) }, `waiting for the fleet budget: ${key} runs on another host`);
          await clock.sleep(LEASE_POLL_MS, signal);
        }
      }
    } catch (error) {
      await release();
      if (error instanceof PolicyRefusal || signal.aborted) throw error;
      this.failed(error);
      // The fleet store cannot be asked: this host's own budget and policy have already said yes.
      return { release: async () => undefined, note: `the fleet store could not be asked (${(error as Error).message}): acted on this host's budget only` };
    }
    // Held while the plan runs and is verified, however long that takes: renewed well before it would expire, so a
    // short leaseFor frees the budget soon after a holder dies and never while it lives.
    renewal.timer = setInterval(
      () => {
        for (const key of held) {
          void this.call(() => fleet.acquireLease({ key, holder: host.id, limit: this.budget(), ttlMs: config.fleet.leaseForMs, now: clock.now() })).catch((error: unknown) =>
            this.failed(error),
          );
        }
      },
      Math.max(1_000, config.fleet.leaseForMs / 3),
    );
    renewal.timer.unref();
    // The attempt says how long it waited and for whom: one host at a time is why it was not at once.
    const waited = clock.monotonic() - began;
    return waitedFor.size > 0
      ? { release, note: `waited ${(waited / 1000).toFixed(1)} s for the fleet budget (${keys.join(', ')} ran on ${[...waitedFor].join(', ')})` }
      : { release };
  }

  /** Phase 1's patterns: local ones plus what fixed the same fault on other hosts (when fleet.learnFromFleet). */
  async patterns(service: CompiledService, signature: string, local: LearnedPattern[]): Promise<CandidatePattern[]> {
    const { fleet, host, clock, config } = this.dependencies;
    if (!config.fleet.learnFromFleet) return local;
    try {
      const rows = await this.call(() => fleet.patternsFor({ service: service.name, profile: service.profile?.name ?? null, signature }));
      return withFleetPatterns(local, rows, { hostId: host.id, service, now: clock.now() }).map((pattern) =>
        pattern.fleet ? { ...pattern, fleet: { hosts: pattern.fleet.hosts.map((id) => this.nameOf(id)) } } : pattern,
      );
    } catch (error) {
      this.failed(error);
      return local;
    }
  }

  /** Fleet-wide silences as the last heartbeat read them (kept while the fleet store is away). */
  silences(): readonly Silence[] {
    return this.fleetSilences;
  }

  status(): FleetStatus {
    const { fleet, host } = this.dependencies;
    return {
      kind: fleet.kind,
      hostId: host.id,
      hostName: host.name,
      reachable: this.reachable,
      lastError: this.lastError,
      lastHeartbeatAt: this.lastHeartbeatAt,
      replication: this.replicator.status(),
      hosts: this.hostsSeen,
      pause: this.pause,
    };
  }

  /** The budget as a count of hosts: a percentage of the hosts known, at least one. */
  budget(): number {
    const budget = this.dependencies.config.fleet.budget;
    if ('count' in budget) return budget.count;
    return Math.max(1, Math.floor((budget.percent / 100) * Math.max(1, this.hostsSeen.length)));
  }

  /** One escalation per host gone silent (claimed by exactly one daemon), resolved here when it reports again. */
  private async watchHosts(): Promise<void> {
    const { fleet, host, clock, config, stores, logger } = this.dependencies;
    const now = clock.now();
    for (const other of this.hostsSeen) {
      if (other.id === host.id || other.silentSince !== null || now - other.lastSeen < config.fleet.silentAfterMs) continue;
      if (!(await this.call(() => fleet.claimSilentHost(other.id, now - config.fleet.silentAfterMs, now)))) continue;
      const task = this.silentTask(other, now);
      stores.tasks.create(task);
      this.dependencies.escalations().escalate({ task, reason: task.message, causeKey: `host:${other.id}`, hypotheses: [] });
      logger.warn({ host: other.name, hostId: other.id, lastSeen: new Date(other.lastSeen).toISOString() }, task.message);
    }
    const returned = new Set(await this.call(() => fleet.returnedHosts()));
    for (const task of stores.tasks.listTracking()) {
      const hostId = task.fingerprint.startsWith('host_silent:') ? task.fingerprint.slice('host_silent:'.length) : undefined;
      if (hostId === undefined || !returned.has(hostId)) continue;
      const name = this.nameOf(hostId);
      stores.tasks.finish(task.id, {
        status: 'recovered',
        fixSuccessful: false,
        fixedByPhase: null,
        closedAt: now,
        durationMs: now - task.detectedAt,
        reason: `${name} reports again`,
      });
      this.dependencies.escalations().recovered(task.id, `${name}: its orchestrator reports again`);
      await this.call(() => fleet.clearSilentHost(hostId));
      logger.info({ host: name, hostId }, `${name}: its orchestrator reports again`);
    }
  }

  private silentTask(other: FleetHost, now: number): Task {
    const minutes = Math.round((now - other.lastSeen) / 60_000);
    return {
      id: this.dependencies.newId(),
      fingerprint: `host_silent:${other.id}`,
      service: `${SILENT_SERVICE_PREFIX}${other.name}`,
      unit: null,
      checkId: 'fleet:heartbeat',
      symptom: 'host_silent',
      signature: 'host_silent',
      status: 'escalated',
      phase: 4,
      message: `${other.name}: orchestrator silent for ${minutes} min, last seen ${new Date(other.lastSeen).toISOString()}`,
      evidence: { logs: [], checks: [] },
      detectedAt: now,
      lastSeen: now,
      occurrences: 1,
      closedAt: null,
      fixSuccessful: false,
      fixedByPhase: null,
      durationMs: null,
      reason: 'no heartbeat from its orchestrator: the host, its network or the daemon is down',
    };
  }

  private nameOf(hostId: string): string {
    return this.hostsSeen.find((host) => host.id === hostId)?.name ?? hostId;
  }

  /** A fleet store call with a deadline, so a hung connection never stalls the daemon. */
  private async call<T>(work: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from the fleet store within ${FLEET_CALL_TIMEOUT_MS / 1000} s`)), FLEET_CALL_TIMEOUT_MS);
    });
    try {
      return await Promise.race([work(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private succeeded(): void {
    if (!this.reachable && this.lastError !== null) this.dependencies.logger.info({ store: this.dependencies.fleet.kind }, 'the fleet store answers again');
    this.reachable = true;
    this.lastError = null;
  }

  private failed(error: unknown): void {
    const message = (error as Error).message;
    if (message !== this.lastError)
      this.dependencies.logger.warn({ store: this.dependencies.fleet.kind, error: message }, 'the fleet store cannot be reached: this host goes on alone and catches up later');
    this.reachable = false;
    this.lastError = message;
  }
}

/** The wait before the next tick: the heartbeat, or after `failures` failed ticks in a row 1 s, 2 s, 4 s ... capped by it. */
export function nextTickMs(heartbeatMs: number, failures: number): number {
  return failures === 0 ? heartbeatMs : Math.min(heartbeatMs, 1_000 * 2 ** Math.min(failures - 1, 20));
}
