/**
 * Prometheus metrics: counters and histograms the core reports through the MetricsRecorder port, gauges read
 * from the stores at scrape time (so they are right even when another process writes the databases), and the
 * default process metrics, all in one registry of its own.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MetricsRecorder } from '../core/metrics.js';
import type { Stores } from '../store/stores.js';
import { ESCALATION_STATUSES } from '../store/escalation-repository.js';

const PREFIX = 'orchestrator_';
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

const EVENT_LOOP_SAMPLE_MS = 1_000;

/** The daemon's MetricsRecorder, exported at /metrics in the Prometheus text format. */
export class PrometheusMetrics implements MetricsRecorder {
  readonly registry = new Registry();
  private stores: Stores | undefined;
  private readonly checksRun = new Counter({ name: `${PREFIX}checks_run_total`, help: 'Checks run by detection cycles', registers: [this.registry] });
  private readonly issues = new Counter({ name: `${PREFIX}issues_detected_total`, help: 'Failing checks found by detection cycles', registers: [this.registry] });
  private readonly tasksCreated = new Counter({ name: `${PREFIX}tasks_created_total`, help: 'Tasks opened for new faults', registers: [this.registry] });
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

  constructor(options: { stores?: Stores; defaultMetrics?: boolean } = {}) {
    this.stores = options.stores;
    // The event-loop lag histogram samples on a libuv timer; prom-client's 10 ms default wakes an idle daemon
    // 100 times a second (most of its idle CPU). One sample a second still shows a stalled loop.
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
    this.registerStoreGauges();
  }

  /** Points the scrape-time gauges at the stores (the web server does this when it is given the metrics). */
  attach(stores: Stores): void {
    this.stores = stores;
  }

  cycle(kind: 'full' | 'watch', durationMs: number, checksRun: number, issues: number, tasksCreated: number): void {
    this.cycles.observe({ kind }, durationMs / 1000);
    this.checksRun.inc(checksRun);
    this.issues.inc(issues);
    this.tasksCreated.inc(tasksCreated);
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
    new Gauge({
      name: `${PREFIX}tasks`,
      help: 'Tasks by status and the phase that fixed them ("none" when not fixed)',
      labelNames: ['status', 'fixed_by_phase'] as const,
      registers,
      collect() {
        this.reset();
        for (const row of stores()?.tasks.countByStatusAndPhase() ?? [])
          this.set({ status: row.status, fixed_by_phase: row.phase === null ? 'none' : String(row.phase) }, row.count);
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
