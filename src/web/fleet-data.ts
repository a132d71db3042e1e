/**
 * The fleet dashboard's read model: shapes what the fleet store holds (hosts and heartbeats, replicated tasks,
 * escalations and patterns, leases, the fleet kill switch) into the API's JSON. Every read goes to the fleet store
 * (PostgreSQL for a fleet), the overview cached for a second; the host's own stores are never read here.
 */
import type { Attempt, TaskStatus } from '../core/types.js';
import type { Escalation } from '../store/escalation-repository.js';
import type { FleetHost, FleetPause, FleetPatternRow, FleetStore, FleetTask, Lease } from '../store/fleet/fleet-store.js';

/** How a host looks from here; the worst that applies wins (SEVERITY). */
export type HostState = 'ok' | 'failing' | 'escalated' | 'silent' | 'paused';
const SEVERITY: Record<HostState, number> = { silent: 0, escalated: 1, paused: 2, failing: 3, ok: 4 };

/** Open and acknowledged escalations shown on the fleet page. */
export const FLEET_ESCALATIONS = 100;
/** How long one computed overview is served (a wall of browsers or a scraper costs one computation a second). */
export const FLEET_OVERVIEW_MAX_AGE_MS = 1_000;

export interface FleetHostView extends FleetHost {
  state: HostState;
  services: Array<{ service: string; counts: Partial<Record<TaskStatus, number>> }>;
}

/** An escalation as the fleet page lists it: what it is about and where, without its evidence and attempts. */
export type FleetEscalationView = Pick<
  Escalation,
  'id' | 'taskId' | 'service' | 'unit' | 'symptom' | 'signature' | 'reason' | 'status' | 'occurrences' | 'createdAt' | 'updatedAt' | 'acknowledgedAt' | 'acknowledgedBy'
> & { host: string; hostName: string };

/** GET /api/fleet. */
export interface FleetOverview {
  now: number;
  hosts: FleetHostView[];
  escalations: FleetEscalationView[];
  pause: FleetPause;
  leases: Lease[];
}

export type FleetTaskView = FleetTask & { hostName: string };

/** One plan for one fault, learned on one or more hosts (grouped by profile when the service has one, else by service). */
export interface FleetPatternGroup {
  /** What the rows were grouped by: the services' shared profile, or the service name. */
  by: 'profile' | 'service';
  profile: string | null;
  services: string[];
  signature: string;
  planKey: string;
  actions: FleetPatternRow['actions'];
  successes: number;
  failures: number;
  lastUsed: number;
  hosts: Array<{ host: string; hostName: string; service: string; successes: number; failures: number; lastUsed: number }>;
}

/** The worst state that applies to a host at `now`. */
export function hostState(host: FleetHost, now: number, silentAfterMs: number): HostState {
  if (host.silentSince !== null || now - host.lastSeen > silentAfterMs) return 'silent';
  if (host.summary.escalated > 0) return 'escalated';
  if (host.summary.paused) return 'paused';
  if (host.summary.failing > 0) return 'failing';
  return 'ok';
}

export class FleetData {
  constructor(
    private readonly fleet: FleetStore,
    private readonly silentAfterMs: number,
  ) {}

  private cached: { at: number; overview: Promise<FleetOverview> } | undefined;

  /**
   * Hosts (silent first, then the worst state, then by name), open escalations, the kill switch and leases. One
   * computation serves every request for FLEET_OVERVIEW_MAX_AGE_MS (requests meanwhile share it, in flight too);
   * a failed one is not kept.
   */
  async overview(now: number): Promise<FleetOverview> {
    const cached = this.cached;
    if (cached && now >= cached.at && now - cached.at < FLEET_OVERVIEW_MAX_AGE_MS) return { ...(await cached.overview), now };
    const overview = this.compute(now);
    this.cached = { at: now, overview };
    overview.catch(() => {
      if (this.cached?.overview === overview) this.cached = undefined;
    });
    return overview;
  }

  private async compute(now: number): Promise<FleetOverview> {
    const [hosts, counts, open, acknowledged, pause, leases] = await Promise.all([
      this.fleet.hosts(),
      this.fleet.taskCounts(),
      this.fleet.escalations({ status: 'open', limit: FLEET_ESCALATIONS }),
      this.fleet.escalations({ status: 'acknowledged', limit: FLEET_ESCALATIONS }),
      this.fleet.fleetPause(),
      this.fleet.leases(now),
    ]);
    const services = new Map<string, Map<string, Partial<Record<TaskStatus, number>>>>();
    for (const row of counts) {
      const byService = services.get(row.host) ?? new Map<string, Partial<Record<TaskStatus, number>>>();
      const entry = byService.get(row.service) ?? {};
      entry[row.status] = (entry[row.status] ?? 0) + row.count;
      byService.set(row.service, entry);
      services.set(row.host, byService);
    }
    const views: FleetHostView[] = hosts
      .map((host) => ({
        ...host,
        state: hostState(host, now, this.silentAfterMs),
        services: [...(services.get(host.id) ?? new Map<string, Partial<Record<TaskStatus, number>>>())]
          .map(([service, serviceCounts]) => ({ service, counts: serviceCounts }))
          .sort((a, b) => a.service.localeCompare(b.service)),
      }))
      .sort((a, b) => SEVERITY[a.state] - SEVERITY[b.state] || a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
    const names = hostNames(hosts);
    const escalations = [...open, ...acknowledged]
      .sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id))
      .slice(0, FLEET_ESCALATIONS)
      .map((escalation) => escalationView(escalation, names));
    return { now, hosts: views, escalations, pause, leases };
  }

  async tasks(query: { host?: string; service?: string; status?: TaskStatus; limit: number }): Promise<FleetTaskView[]> {
    const [tasks, hosts] = await Promise.all([this.fleet.tasks(query), this.fleet.hosts()]);
    const names = hostNames(hosts);
    return tasks.map((task) => ({ ...task, hostName: names(task.host) }));
  }

  /** One host's task with its attempts; undefined when the host has no such task. */
  async task(host: string, id: string): Promise<{ task: FleetTaskView; attempts: Attempt[] } | undefined> {
    const [task, hosts] = await Promise.all([this.fleet.task(host, id), this.fleet.hosts()]);
    if (!task) return undefined;
    return { task: { ...task, hostName: hostNames(hosts)(host) }, attempts: await this.fleet.attempts(host, id) };
  }

  /** Patterns grouped by (profile or service, signature, plan), each with its record per host; most successes first. */
  async patterns(): Promise<FleetPatternGroup[]> {
    const [rows, hosts] = await Promise.all([this.fleet.patterns(), this.fleet.hosts()]);
    const names = hostNames(hosts);
    const groups = new Map<string, FleetPatternGroup>();
    for (const row of rows) {
      const by = row.profile === null ? 'service' : 'profile';
      const key = JSON.stringify([by, row.profile ?? row.service, row.signature, row.planKey]);
      const group = groups.get(key) ?? {
        by,
        profile: row.profile,
        services: [],
        signature: row.signature,
        planKey: row.planKey,
        actions: row.actions,
        successes: 0,
        failures: 0,
        lastUsed: 0,
        hosts: [],
      };
      if (!group.services.includes(row.service)) group.services.push(row.service);
      group.successes += row.successes;
      group.failures += row.failures;
      group.lastUsed = Math.max(group.lastUsed, row.lastUsed);
      group.hosts.push({ host: row.host, hostName: names(row.host), service: row.service, successes: row.successes, failures: row.failures, lastUsed: row.lastUsed });
      groups.set(key, group);
    }
    for (const group of groups.values()) {
      group.services.sort();
      group.hosts.sort((a, b) => a.hostName.localeCompare(b.hostName) || a.service.localeCompare(b.service));
    }
    const label = (group: FleetPatternGroup) => group.profile ?? group.services[0] ?? '';
    return [...groups.values()].sort(
      (a, b) => label(a).localeCompare(label(b)) || a.signature.localeCompare(b.signature) || b.successes - a.successes || a.planKey.localeCompare(b.planKey),
    );
  }
}

/** A host id's name, or the id itself for a host that replicated rows but never registered. */
function hostNames(hosts: readonly FleetHost[]): (id: string) => string {
  const names = new Map(hosts.map((host) => [host.id, host.name]));
  return (id) => names.get(id) ?? id;
}

function escalationView(escalation: Escalation & { host: string }, names: (id: string) => string): FleetEscalationView {
  return {
    id: escalation.id,
    taskId: escalation.taskId,
    service: escalation.service,
    unit: escalation.unit,
    symptom: escalation.symptom,
    signature: escalation.signature,
    reason: escalation.reason,
    status: escalation.status,
    occurrences: escalation.occurrences,
    createdAt: escalation.createdAt,
    updatedAt: escalation.updatedAt,
    acknowledgedAt: escalation.acknowledgedAt,
    acknowledgedBy: escalation.acknowledgedBy ?? null,
    host: escalation.host,
    hostName: names(escalation.host),
  };
}
