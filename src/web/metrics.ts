/**
 * Prometheus metrics: counters, histograms and the health of each service the core reports through the
 * MetricsRecorder port; task counts read from the stores at scrape time (so they are right even when another
 * process writes the databases), by the outcomes of store/task-outcomes.ts; and the default process metrics,
 * all in one registry of its own. docs/api.md lists them.
 */
import { PACKAGE_VERSION } from '../runtime/package-version.js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CycleReport, MetricsRecorder } from '../core/metrics.js';
import type { Stores } from '../store/stores.js';
import { ESCALATION_STATUSES } from '../store/escalation-repository.js';
import { FINAL_OUTCOMES, escalatedTaskIds } from '../store/task-outcomes.js';

const PREFIX = 'orchestrator_';
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

const EVENT_LOOP_SAMPLE_MS = 1_000;
/** The check every pass runs (the unit's state): a watch can vouch for it, not for the probes of a full cycle. */
const UNIT_CHECK_ID = 'unit';

/** A service's health as the last passes saw it, and the checks that failed. */
interface ServiceHealth {
  up: boolean;
  failedChecks: Set<string>;
}

/** The daemon's MetricsRecorder, exported at /metrics in the Prometheus text format. */
export class PrometheusMetrics implements MetricsRecorder {
  readonly registry = new Registry();
  private stores: Stores | undefined;
  private readonly health = new Map<string, ServiceHealth>();
  private readonly lastCycleAt = new Map<CycleReport['kind'], number>();
  private readonly checksRun = new Counter({ name: `${PREFIX}checks_run_total`, help: 'Checks run by detection cycles', registers: [this.registry] });
  private readonly cycleIssues = new Gauge({
    name: `${PREFIX}cycle_failing_checks`,
    help: 'Failing checks found by the last detection pass of each kind (the same fault counts in every pass)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  private readonly actions = new Counter({
    name: `${PREFIX}actions_total`,
    help: 'Catalog actions decided, by type and outcome',
    labelNames: ['type', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly cycles = new Histogram({
    name: `${PREFIX}cycle_duration_seconds`,
    help: 'Duration of detection cycles',
    labelNames: ['kind'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly phases = new Histogram({
    name: `${PREFIX}phase_duration_seconds`,
    help: 'Duration of remediation phases, by phase and outcome',
    labelNames: ['phase', 'outcome'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  /** `host`: in a fleet, every series carries host="<name>" so one Prometheus can tell the hosts apart. */
  constructor(options: { stores?: Stores; defaultMetrics?: boolean; version?: string; host?: string } = {}) {
    this.stores = options.stores;
    if (options.host !== undefined) this.registry.setDefaultLabels({ host: options.host });
    new Gauge({
      name: `${PREFIX}build_info`,
      help: 'Always 1; the labels say which orchestrator and Node.js run',
      labelNames: ['version', 'node'] as const,
      registers: [this.registry],
    }).set({ version: options.version ?? PACKAGE_VERSION, node: process.version }, 1);
    // The event-loop lag histogram samples on a libuv timer; prom-client's 10 ms default wakes an idle daemon
    // 100 times a second (most of its idle CPU). One sample a second still shows a stalled loop.
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
    this.registerStoreGauges();
  }

  /** Points the scrape-time gauges at the stores (the web server does this when it is given the metrics). */
  attach(stores: Stores): void {
    this.stores = stores;
  }

  /**
   * A pass: its duration and time, and each service's health. A full pass decides every service it checked (and
   * forgets those it no longer checks, such as a discovered unit that is fine again); a watch runs the unit check
   * only, so it marks failures but clears only a failure of that check.
   */
  cycle(report: CycleReport): void {
    const { kind } = report;
    this.cycles.observe({ kind }, report.durationMs / 1000);
    this.checksRun.inc(report.checksRun);
    this.cycleIssues.set({ kind }, report.issuesDetected);
    this.lastCycleAt.set(kind, report.endedAt);
    if (kind === 'full') this.health.clear();
    for (const { service, checkId } of report.failing) {
      const entry = this.health.get(service);
      if (entry && !entry.up) entry.failedChecks.add(checkId);
      else this.health.set(service, { up: false, failedChecks: new Set([checkId]) });
    }
    for (const service of report.healthy) {
      const entry = this.health.get(service);
      if (kind === 'full' || !entry || [...entry.failedChecks].every((checkId) => checkId === UNIT_CHECK_ID)) this.health.set(service, { up: true, failedChecks: new Set() });
    }
  }

  phase(phase: number, durationMs: number, outcome: 'fixed' | 'unfixed' | 'escalate' | 'held' | 'error'): void {
    this.phases.observe({ phase: String(phase), outcome }, durationMs / 1000);
  }

  action(type: string, outcome: string): void {
    this.actions.inc({ type, outcome });
  }

  /** The text exposition and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private registerStoreGauges(): void {
    const stores = () => this.stores;
    const registers = [this.registry];
    const health = this.health;
    const lastCycleAt = this.lastCycleAt;
    new Gauge({
      name: `${PREFIX}service_up`,
      help: '1 when every check of the service passed in the last pass, 0 when one failed (reported by the daemon only)',
      labelNames: ['service'] as const,
      registers,
      collect() {
        this.reset();
        for (const [service, entry] of health) this.set({ service }, entry.up ? 1 : 0);
      },
    });
    new Gauge({
      name: `${PREFIX}last_cycle_timestamp_seconds`,
      help: 'Unix time the last detection pass of each kind was recorded; alert when it stops moving (a stalled daemon)',
      labelNames: ['kind'] as const,
      registers,
      collect() {
        this.reset();
        // A dashboard process runs no cycles: the daemon's last full cycle, from the database.
        const full = lastCycleAt.get('full') ?? stores()?.state.lastCycle('full')?.startedAt;
        if (full !== undefined) this.set({ kind: 'full' }, full / 1000);
        const watch = lastCycleAt.get('watch');
        if (watch !== undefined) this.set({ kind: 'watch' }, watch / 1000);
      },
    });
    // Distinct faults: each opens one task, however many passes see it again. Tasks are never deleted, so the
    // counts only grow; they are read from the database and are the same in the daemon and a dashboard process.
    const createdCollect = function (this: Counter<'service'>) {
      this.reset();
      for (const { service, count } of stores()?.tasks.countByService() ?? []) this.inc({ service }, count);
    };
    new Counter({
      name: `${PREFIX}tasks_created_total`,
      help: 'Tasks opened: distinct faults (not failing checks per pass)',
      labelNames: ['service'] as const,
      registers,
      collect: createdCollect,
    });
    new Counter({
      name: `${PREFIX}issues_detected_total`,
      help: 'Distinct faults detected (each opens one task; the same as tasks_created_total, kept for its old users)',
      labelNames: ['service'] as const,
      registers,
      collect: createdCollect,
    });
    new Counter({
      name: `${PREFIX}task_outcomes_total`,
      help: 'Tasks that reached a final outcome (fixed, escalated, recovered) by service and the phase that fixed them; see README "What the numbers mean"',
      labelNames: ['service', 'outcome', 'fixed_by_phase'] as const,
      registers,
      collect() {
        this.reset();
        const current = stores();
        if (!current) return;
        for (const row of current.tasks.outcomesByService(escalatedTaskIds(current))) {
          if (!FINAL_OUTCOMES.includes(row.outcome)) continue;
          const fixedByPhase = row.outcome === 'fixed' && row.fixedByPhase !== null ? String(row.fixedByPhase) : 'none';
          this.inc({ service: row.service, outcome: row.outcome, fixed_by_phase: fixedByPhase }, row.count);
        }
      },
    });
    new Gauge({
      name: `${PREFIX}tasks`,
      help: 'Tasks by service, status and the phase that fixed them ("none" when not fixed)',
      labelNames: ['service', 'status', 'fixed_by_phase'] as const,
      registers,
      collect() {
        this.reset();
        for (const row of stores()?.tasks.countByStatusAndPhase() ?? [])
          this.set({ service: row.service, status: row.status, fixed_by_phase: row.phase === null ? 'none' : String(row.phase) }, row.count);
      },
    });
    new Gauge({
      name: `${PREFIX}escalations`,
      help: 'Escalations by status',
      labelNames: ['status'] as const,
      registers,
      collect() {
        const current = stores();
        if (!current) return;
        const counts = current.escalations.countByStatus(0);
        for (const status of ESCALATION_STATUSES) this.set({ status }, counts[status] ?? 0);
      },
    });
    new Gauge({
      name: `${PREFIX}outbox_backlog`,
      help: 'Notifications waiting for delivery (pending) or given up on (failed)',
      labelNames: ['status'] as const,
      registers,
      collect() {
        const backlog = stores()?.outbox.backlog();
        if (!backlog) return;
        this.set({ status: 'pending' }, backlog.pending);
        this.set({ status: 'failed' }, backlog.failed);
      },
    });
    new Gauge({
      name: `${PREFIX}learned_patterns`,
      help: 'Learned (service, signature, plan) patterns',
      registers,
      collect() {
        const current = stores();
        if (current) this.set(current.patterns.all(Date.now()).length);
      },
    });
    new Gauge({
      name: `${PREFIX}paused`,
      help: '1 when the kill switch is on (no actions are taken)',
      registers,
      collect() {
        const current = stores();
        if (current) this.set(current.state.pause().paused ? 1 : 0);
      },
    });
  }
}
