/**
 * The dashboard's read model: shapes what the stores hold into the API's JSON. All SQL stays in the store's
 * repositories; times are epoch milliseconds like the CLI's --json output, days are UTC.
 */
import { describeDrift } from '../drift/drift.js';
import type { Attempt, LearnedPattern, Task } from '../core/types.js';
import type { CompiledConfig } from '../config/compiled.js';
import type { Stores } from '../store/stores.js';
import type { CycleRecord } from '../store/state-repository.js';
import type { Escalation, EscalationStatus } from '../store/escalation-repository.js';
import type { DailyCounts, RecoveryPoint, TaskSearch, TaskWithOutcome } from '../store/task-repository.js';
import { escalatedTaskIds, outcomeCounts, recoveryMs, taskOutcome, type TaskOutcome } from '../store/task-outcomes.js';
import type { VerdictRecord } from '../store/verdict-repository.js';
import type { OutboxBacklog } from '../store/outbox-repository.js';
import { UsageError } from '../core/errors.js';
import type { ActiveSilence, Silences } from '../control/silences.js';
import { effectiveAutonomy } from '../control/autonomy.js';
import type { Autonomy } from '../config/compiled.js';

const DAY_MS = 86_400_000;
export const RATE_DAYS = 14;
const RECOVERY_POINTS = 100;
/** How long an unchanged overview is reused: its 24-hour and 14-day windows slide with the clock. */
export const OVERVIEW_MAX_AGE_MS = 1_000;

/** The start of the funnel's and the rate chart's window: midnight UTC, RATE_DAYS - 1 days before today. */
function rateWindowStart(now: number): number {
  return Math.floor(now / DAY_MS) * DAY_MS - (RATE_DAYS - 1) * DAY_MS;
}

/**
 * One service on the overview: healthy, failing (a task is open or running), left alone (down, but its unit is
 * disabled or masked: operator intent, nothing is done) or escalated.
 */
export interface ServiceState {
  name: string;
  state: 'healthy' | 'left_alone' | 'failing' | 'escalated';
  openTask?: { id: string; status: Task['status']; symptom: string };
  /** Why nothing is done, for a service left alone: "left alone: the unit is disabled (operator intent)". */
  note?: string;
  lastSeen?: number;
  /** What holds it silent now: nothing is done and nothing is sent until `until`. */
  silenced?: ActiveSilence;
  /** A configured service's autonomy in force: act, shadow or off, and who switched it (absent: from the config). */
  autonomy?: { mode: Autonomy; by: string | null; reason: string | null };
}

/** GET /api/overview. */
export interface Overview {
  host: string;
  now: number;
  readOnly: boolean;
  /** cycleIntervalMs: how often a full check is due, so a page can tell when the last one is overdue. */
  /** pausedBy: who turned the kill switch on (`token:<name>`, `cli:<user>`). */
  daemon: { running: boolean; paused: boolean; pausedSince: number | null; pauseReason: string | null; pausedBy: string | null; cycleIntervalMs: number | null };
  lastCycle: CycleRecord | null;
  services: ServiceState[];
  counts: { openTasks: number; openEscalations: number; tasksLast24h: number; fixedLast24h: number };
  /** Tasks detected in the rate chart's window, by outcome (store/task-outcomes.ts: the same as `orchestrator stats`). */
  funnel: { total: number; phase1: number; phase2: number; phase3: number; escalated: number; escalatedOpen: number; pending: number; recovered: number; ignored: number };
  rates: DailyCounts[];
  recovery: RecoveryPoint[];
  outbox: Pick<OutboxBacklog, 'pending' | 'failed'>;
  /** Whether a fleet store is configured (the page then shows the Fleet link; GET /api/fleet has the rest). */
  fleet: { enabled: boolean };
}

/** GET /api/tasks/:id. */
export interface TaskDetail {
  task: TaskWithOutcome;
  attempts: Attempt[];
  verdicts: VerdictRecord[];
  escalation: Escalation | null;
  /** What changed since the service was last known good, one readable line each with its time (drift/drift.ts). */
  drift: string[];
}

/** A computed overview, the data versions it was computed at, and (once asked for) its JSON without now and daemon. */
interface CachedOverview {
  version: string;
  at: number;
  overview: Overview;
  json?: string;
}

/** What live updates compare: one marker per kind of data, each changing when its rows do. */
export type ChangeMarkers = Record<'cycles' | 'tasks' | 'attempts' | 'patterns' | 'pause' | 'escalations' | 'outbox', string>;

export interface DashboardDataOptions {
  stores: Stores;
  config?: Pick<CompiledConfig, 'services'> & Partial<Pick<CompiledConfig, 'cycle'>>;
  /** Silences and maintenance windows, to mark the services they hold. */
  silences?: Pick<Silences, 'activeMany'>;
  readOnly: boolean;
  host: string;
  /** Whether the server has a fleet store (GET /api/fleet answers). */
  fleet?: boolean;
  isDaemonRunning(): boolean;
}

const SEVERITY = { healthy: 0, left_alone: 1, failing: 2, escalated: 3 } as const;
const STATUS_ORDER: Record<EscalationStatus, number> = { open: 0, acknowledged: 1, resolved: 2, auto_resolved: 2 };

/** The read model behind every GET of the API, the health check and the live-update poller. */
export class DashboardData {
  private tasksVersion = '';
  private escalationsVersion = '';
  private markers: ChangeMarkers | undefined;
  private cachedOverview: CachedOverview | undefined;

  constructor(private readonly options: DashboardDataOptions) {}

  /**
   * The overview. Its queries run again only when a database changed (their data versions moved) or the cached
   * copy is older than OVERVIEW_MAX_AGE_MS (the time windows slide): a wall of browsers or a scraper polling it
   * costs two cheap version reads per request.
   */
  overview(now: number): Overview {
    const { overview } = this.currentOverview(now);
    return { ...overview, now, daemon: { ...overview.daemon, running: this.options.isDaemonRunning() } };
  }

  /**
   * The overview as JSON text, the same as JSON.stringify(overview(now)) but for the order of the keys: the
   * unchanging part is serialised once per computation (serialising dominated the cost of a cached request).
   */
  overviewJson(now: number): string {
    const entry = this.currentOverview(now);
    if (entry.json === undefined) {
      const { now: _now, daemon: _daemon, ...rest } = entry.overview;
      entry.json = JSON.stringify(rest).slice(1);
    }
    const daemon = { ...entry.overview.daemon, running: this.options.isDaemonRunning() };
    return `{"now":${JSON.stringify(now)},"daemon":${JSON.stringify(daemon)},${entry.json}`;
  }

  private currentOverview(now: number): CachedOverview {
    const version = `${this.options.stores.state.dataVersion()}|${this.options.stores.escalations.dataVersion()}`;
    const cached = this.cachedOverview;
    if (cached !== undefined && cached.version === version && now >= cached.at && now - cached.at < OVERVIEW_MAX_AGE_MS) return cached;
    this.cachedOverview = { version, at: now, overview: this.computeOverview(now) };
    return this.cachedOverview;
  }

  private computeOverview(now: number): Overview {
    const { stores, readOnly, host } = this.options;
    const pause = stores.state.pause();
    const tracking = stores.tasks.listTracking();
    const last24h = outcomeCounts(stores, now - DAY_MS);
    const windowStart = rateWindowStart(now);
    // From midnight on: detected after the millisecond before it.
    const { counts: window, daily } = stores.tasks.outcomeCounts(windowStart - 1, escalatedTaskIds(stores, windowStart - 1));
    const backlog = stores.outbox.backlog();
    return {
      host,
      now,
      readOnly,
      daemon: {
        running: true,
        paused: pause.paused,
        pausedSince: pause.paused ? (pause.since ?? null) : null,
        pauseReason: pause.paused ? (pause.reason ?? null) : null,
        pausedBy: pause.paused ? (pause.by ?? null) : null,
        cycleIntervalMs: this.options.config?.cycle?.intervalMs ?? null,
      },
      lastCycle: stores.state.lastCycle('full') ?? null,
      services: this.services(tracking, now),
      counts: {
        openTasks: tracking.filter((task) => task.status === 'open' || task.status === 'running').length,
        openEscalations: stores.escalations.countActive(),
        tasksLast24h: last24h.total,
        fixedLast24h: last24h.fixed,
      },
      funnel: {
        total: window.total,
        phase1: window.fixedByPhase['1'] ?? 0,
        phase2: window.fixedByPhase['2'] ?? 0,
        phase3: window.fixedByPhase['3'] ?? 0,
        escalated: window.escalated,
        escalatedOpen: window.escalatedOpen,
        pending: window.pending,
        recovered: window.recovered,
        ignored: window.ignored,
      },
      rates: this.rates(windowStart, daily),
      recovery: stores.tasks.recentRecoveries(RECOVERY_POINTS, escalatedTaskIds(stores)),
      outbox: { pending: backlog.pending, failed: backlog.failed },
      fleet: { enabled: this.options.fleet ?? false },
    };
  }

  /** Tasks with their outcome and time to recovery (store/task-outcomes.ts). */
  tasks(filter: TaskSearch): TaskWithOutcome[] {
    const { stores } = this.options;
    return stores.tasks.search(filter, escalatedTaskIds(stores));
  }

  /** A task by id or unique id prefix with its timeline; undefined when unknown, UsageError when ambiguous. */
  task(id: string): TaskDetail | undefined {
    const { stores } = this.options;
    const exact = stores.tasks.get(id);
    const matches = exact ? [exact] : stores.tasks.findByIdPrefix(id);
    if (matches.length > 1) throw new UsageError(`"${id}" matches more than one task; give more of the id`);
    const task = matches[0];
    if (!task) return undefined;
    const escalation = stores.escalations.forTask(task.id) ?? null;
    const outcome: TaskOutcome = taskOutcome(task, escalation !== null);
    return {
      task: { ...task, outcome, recoveryMs: recoveryMs(task, outcome) },
      attempts: stores.attempts.forTask(task.id),
      verdicts: stores.verdicts.forTask(task.id),
      escalation,
      drift: task.evidence.drift ? describeDrift(task.evidence.drift, (ms) => new Date(ms).toISOString()) : [],
    };
  }

  /** Escalations, open first, then acknowledged, then the ended ones; newest first within each. */
  escalations(status?: EscalationStatus, limit = 200): Escalation[] {
    const list = this.options.stores.escalations.list({ status, limit });
    return list.sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || b.createdAt - a.createdAt);
  }

  patterns(now: number): LearnedPattern[] {
    return this.options.stores.patterns.all(now).sort((a, b) => a.service.localeCompare(b.service) || b.confidence - a.confidence);
  }

  /** GET /health: enough for a liveness probe, nothing secret. */
  health(): { ok: true; daemon: 'running' | 'not running'; paused: boolean; lastCycleAt: number | null } {
    const { stores } = this.options;
    return {
      ok: true,
      daemon: this.options.isDaemonRunning() ? 'running' : 'not running',
      paused: stores.state.pause().paused,
      lastCycleAt: stores.state.lastCycle('full')?.startedAt ?? null,
    };
  }

  /** The current change markers; the table summaries are only recomputed when a database's data version moved. */
  changeMarkers(): ChangeMarkers {
    const { stores } = this.options;
    const tasksVersion = stores.state.dataVersion();
    const escalationsVersion = stores.escalations.dataVersion();
    const previous = this.markers;
    const tasksChanged = !previous || tasksVersion !== this.tasksVersion;
    const escalationsChanged = !previous || escalationsVersion !== this.escalationsVersion;
    this.tasksVersion = tasksVersion;
    this.escalationsVersion = escalationsVersion;
    const fromTasks = tasksChanged ? stores.state.changeMarker() : previous!;
    const backlog = escalationsChanged ? stores.outbox.backlog() : undefined;
    this.markers = {
      cycles: fromTasks.cycles,
      tasks: fromTasks.tasks,
      attempts: fromTasks.attempts,
      patterns: fromTasks.patterns,
      pause: fromTasks.pause,
      escalations: escalationsChanged ? stores.escalations.changeMarker() : previous!.escalations,
      outbox: backlog ? `${backlog.pending}/${backlog.failed}/${backlog.oldestPendingAt ?? ''}` : previous!.outbox,
    };
    return this.markers;
  }

  /** Services seen in tasks (their worst current state) plus configured services with no tasks, worst first. */
  private services(tracking: readonly Task[], now: number): ServiceState[] {
    const { stores, config, silences } = this.options;
    const byName = new Map<string, ServiceState>();
    const configured = (config?.services ?? []).filter((service) => !service.discovered);
    const overrides = stores.state.autonomyOverrides();
    const silenced = silences?.activeMany(config?.services ?? [], now) ?? new Map<string, ActiveSilence>();
    for (const service of configured) {
      const { mode, override } = effectiveAutonomy(service, overrides);
      byName.set(service.name, { name: service.name, state: 'healthy', autonomy: { mode, by: override?.by ?? null, reason: override?.reason ?? null } });
    }
    for (const { service, lastSeen } of stores.tasks.lastSeenByService()) byName.set(service, { ...byName.get(service), name: service, state: 'healthy', lastSeen });
    for (const task of tracking) {
      const entry: ServiceState = byName.get(task.service) ?? { name: task.service, state: 'healthy' };
      const state = task.status === 'escalated' ? 'escalated' : task.status === 'ignored' ? 'left_alone' : 'failing';
      // listTracking is oldest first: the newest task of the worst state wins.
      if (SEVERITY[state] >= SEVERITY[entry.state]) {
        entry.state = state;
        entry.openTask = { id: task.id, status: task.status, symptom: task.symptom };
        if (state === 'left_alone') entry.note = leftAloneNote(task);
        else delete entry.note;
      }
      byName.set(task.service, entry);
    }
    for (const [name, silence] of silenced) {
      const entry = byName.get(name);
      if (entry) entry.silenced = silence;
    }
    return [...byName.values()].sort((a, b) => SEVERITY[b.state] - SEVERITY[a.state] || a.name.localeCompare(b.name));
  }

  /** The last RATE_DAYS UTC days, oldest first, days without tasks included with zeros. */
  private rates(start: number, daily: readonly DailyCounts[]): DailyCounts[] {
    const counted = new Map(daily.map((row) => [row.day, row]));
    return Array.from({ length: RATE_DAYS }, (_, index) => {
      const day = new Date(start + index * DAY_MS).toISOString().slice(0, 10);
      return counted.get(day) ?? { day, total: 0, fixed: 0, escalated: 0 };
    });
  }
}

/** "left alone: the unit is disabled (operator intent)", from the unit file state recorded when it was detected. */
export function leftAloneNote(task: Pick<Task, 'evidence'>): string {
  const state = task.evidence.unit?.unitFileState;
  return `left alone: ${state ? `the unit is ${state}` : 'the unit is disabled or masked'} (operator intent)`;
}
