/**
 * The cycle engine: a fast watch of unit states and a full cycle of every check, never overlapping
 * themselves; issues are tracked into tasks (one per fingerprint), and open tasks are remediated by a pool of
 * workers. Time and waiting come from the injected clock.
 */
import type { CompiledConfig, CompiledService } from '../config/compiled.js';
import type { Clock, IdGenerator } from '../core/ports.js';
import type { Issue, Task } from '../core/types.js';
import type { Logger } from '../core/logger.js';
import type { Stores } from '../store/stores.js';
import type { CycleRecord } from '../store/state-repository.js';
import type { Detection, DetectionKind, Detector } from '../checks/detector.js';
import { OPERATOR_INTENT_STATES } from '../actions/safety-policy.js';
import type { Pipeline, TaskEnding } from '../phases/pipeline.js';
import { WorkQueue } from './work-queue.js';
import { OrchestratorError } from '../core/errors.js';
import { isStorageError, storageErrorReason } from '../store/storage-error.js';
import type { ConfigKeeper } from './config-keeper.js';
import type { LastKnownGood } from './last-known-good.js';
import type { EscalationService } from '../escalation/escalation-service.js';
import type { MetricsRecorder } from '../core/metrics.js';
import type { Block } from '../drift/diagnosis.js';
import type { Silences } from '../control/silences.js';
import type { AlertEvidence } from '../core/types.js';
import { fingerprintOf } from '../checks/fingerprint.js';

/** Alerts kept in a task's evidence (the newest). */
const ALERTS_IN_EVIDENCE = 10;

export type CycleSummary = CycleRecord;

export interface OrchestratorDependencies {
  config: CompiledConfig;
  stores: Stores;
  detector: Detector;
  pipeline: Pipeline;
  clock: Clock;
  newId: IdGenerator;
  logger: Logger;
  /** Remediate open tasks (false for `check`-like runs). */
  remediate: boolean;
  /** Keeps last-known-good configuration snapshots of healthy services. */
  configKeeper?: ConfigKeeper;
  /** Records the healthy services' last-known-good states. */
  lastKnownGood?: Pick<LastKnownGood, 'refresh'>;
  /** Auto-resolves and re-notifies escalations after each full cycle. */
  escalations?: EscalationService;
  /** Whether what blocked an escalation is gone (runtime/unblock.ts); then the job is finished, once per clearing. */
  unblocked?: (block: Block, service: CompiledService, signal: AbortSignal) => Promise<string | undefined>;
  metrics?: MetricsRecorder;
  /**
   * Pushes state changes of the watched services (systemd's D-Bus signals, a supervised child's exit): a change
   * wakes the watch at once instead of waiting for its next tick.
   */
  stateEvents?: StateEvents;
  /** Silences and maintenance windows: when one ends, the open tasks it held are handled at once. */
  silences?: Pick<Silences, 'activeMany'>;
}

/** Pushed state changes, as the orchestrator sees them (wired from the adapter in the composition root). */
export interface StateEvents {
  names: readonly string[];
  /** Calls `listener` on a change of a watched service (and, when failed units are watched, of any that fails). */
  watch(names: readonly string[], listener: (name: string) => void): () => void;
  /** Whether every change is pushed right now: then the watch sweeps every EVENT_SWEEP_MS instead of polling. */
  live(): boolean;
  /** How changes are seen, in words (the adapters' describeWatching). */
  describe?(): string;
}

/** How long a burst of state events (deactivating, then failed) may settle before the watch runs. */
const EVENT_SETTLE_MS = 10;
/** While changes are pushed, the watch still looks every so often: a lost signal costs at most this long. */
export const EVENT_SWEEP_MS = 30_000;
/** Why an escalated task is remediated again, and whether a person asked for it. */
interface Retry {
  why: string;
  humanAsked: boolean;
}

/** Retries of one escalation when its block clears; past this, a human's `escalation retry` still works. */
const MAX_UNBLOCKED_RETRIES = 3;

export class Orchestrator {
  private readonly queue: WorkQueue<{ task: Task; recheck: boolean; retry?: Retry }>;
  /** Retries of each escalation made because its block cleared (a few at most: each one may spend budget). */
  private readonly unblockedRetries = new Map<string, number>();
  private fixesSinceSummary = 0;
  private escalationsSinceSummary = 0;
  private shutdown = new AbortController();
  private readonly running = new Set<DetectionKind>();
  /** When the engine last made progress; its start counts, so the watchdog is fed while the first cycle runs. */
  private lastProgress: number;
  /** Escalated tasks whose service was seen healthy since their fault was last seen: a new failure is a recurrence. */
  private readonly recoveredEscalated = new Set<string>();
  /** Tasks whose remediation stopped because the store could not be written; re-queued once it can. */
  private readonly stranded = new Set<string>();
  /** Why the store cannot be written now (logged once when it starts, once when it ends). */
  private storageTrouble: string | undefined;
  /** What `status` was last told about how the watch sees changes. */
  private watchingNoted: string | undefined;
  /** Services silenced at the last pass: one that is no longer has its held tasks handled at once. */
  private silenced = new Set<string>();

  constructor(private readonly dependencies: OrchestratorDependencies) {
    this.lastProgress = dependencies.clock.monotonic();
    this.queue = new WorkQueue(dependencies.config.cycle.workers, (work) => this.work(work.task, work.recheck, work.retry));
  }

  /** Re-queues tasks a previous daemon left open or mid-action; they are re-checked before anything is done. */
  resume(): number {
    const { stores, clock, logger } = this.dependencies;
    const interrupted = stores.attempts.markInterrupted(clock.now());
    const reopened = stores.tasks.reopenInterrupted();
    if (interrupted > 0 || reopened.length > 0) {
      logger.warn({ interruptedAttempts: interrupted, tasks: reopened }, 'resuming tasks left mid-action by a previous run; re-checking health first');
    }
    const open = stores.tasks.listTracking().filter((task) => task.status === 'open');
    for (const task of open) this.enqueue(task, true);
    return open.length;
  }

  /** One detection pass; creates tasks for new issues and queues them. Skipped if the same kind is running. */
  async runCycle(kind: DetectionKind, options: { waitForRemediation?: boolean } = {}): Promise<CycleSummary | undefined> {
    if (this.running.has(kind)) return undefined;
    this.running.add(kind);
    const { clock, detector } = this.dependencies;
    const startedAt = clock.now();
    const started = clock.monotonic();
    try {
      const detection = await detector.detect(kind, this.shutdown.signal);
      // Detection itself worked: the daemon is alive even while its store cannot be written.
      this.lastProgress = clock.monotonic();
      try {
        return await this.record(kind, detection, startedAt, started, options);
      } catch (error) {
        if (!isStorageError(error)) throw error;
        this.storageFailed(error);
        return undefined;
      }
    } finally {
      this.running.delete(kind);
    }
  }

  /** Tracks a detection's issues, reconciles, and records the cycle; every write may fail on a full disk. */
  private async record(kind: DetectionKind, detection: Detection, startedAt: number, started: number, options: { waitForRemediation?: boolean }): Promise<CycleSummary> {
    const { clock, detector, stores, logger } = this.dependencies;
    this.requeueStranded();
    this.withFiringAlerts(detection);
    this.noteSilenceEnds();
    this.noteRecoveries(detection);
    const { created, tracked } = this.track(detection.issues);
    // A retry asked for is taken at the next cycle, watch or full; whether a block cleared is read every full cycle.
    await this.retryUnblocked(detection, kind === 'full');
    if (kind === 'full') {
      this.reconcile(detection);
      const healthy = [...detection.healthy].map((name) => detector.service(name)).filter((service) => service !== undefined);
      await this.dependencies.configKeeper?.refresh(healthy, detection.statuses, this.shutdown.signal);
      await this.dependencies.lastKnownGood?.refresh(healthy, detection.statuses, this.shutdown.signal);
    }
    if (options.waitForRemediation) await this.queue.idle();
    const summary: CycleSummary = {
      kind,
      startedAt,
      durationMs: clock.monotonic() - started,
      checksRun: detection.checksRun,
      issuesDetected: detection.issues.length,
      tasksCreated: created,
      alreadyTracked: tracked,
      fixes: kind === 'full' ? this.fixesSinceSummary : 0,
      escalations: kind === 'full' ? this.escalationsSinceSummary : 0,
    };
    this.dependencies.metrics?.cycle({ ...summary, endedAt: clock.now(), healthy: detection.healthy, failing: detection.issues });
    if (kind === 'full' || created > 0) {
      stores.state.recordCycle({ ...summary });
      logger.info({ cycle: summary }, `${kind} cycle: ${summary.issuesDetected} issue(s), ${summary.tasksCreated} task(s) created`);
      if (this.storageTrouble) {
        logger.info({ was: this.storageTrouble }, 'the data directory can be written again: recording and remediating resume');
        this.storageTrouble = undefined;
      }
    }
    if (kind === 'full') {
      this.fixesSinceSummary = 0;
      this.escalationsSinceSummary = 0;
    }
    return summary;
  }

  private storageFailed(error: unknown): void {
    const reason = storageErrorReason(error);
    if (this.storageTrouble === reason) return;
    this.storageTrouble = reason;
    this.dependencies.logger.error(
      { error: (error as Error).message, dataDir: this.dependencies.stores.dataDir },
      `${reason}: detection goes on, nothing is acted on that cannot be recorded; tasks resume when space returns`,
    );
  }

  /** Tasks left 'running' by a remediation that the store stopped: open again and re-checked before acting. */
  private requeueStranded(): void {
    const { stores } = this.dependencies;
    for (const id of this.stranded) {
      if (this.queue.has(id)) continue;
      const task = stores.tasks.get(id);
      this.stranded.delete(id);
      if (!task || (task.status !== 'running' && task.status !== 'open')) continue;
      stores.tasks.setStatus(id, 'open', task.phase, 'resumed: the data directory could not be written during its remediation');
      this.enqueue({ ...task, status: 'open' }, true);
    }
  }

  /** A full cycle, then waits for every task it queued to finish; the summary counts their outcomes. */
  async runOnce(): Promise<CycleSummary> {
    const summary = await this.runCycle('full', { waitForRemediation: true });
    if (!summary) throw new OrchestratorError('STORAGE', `${this.storageTrouble ?? 'the cycle could not run'}: nothing was recorded or acted on`);
    return summary;
  }

  /** Runs the watch and full loops until `signal` aborts, then lets in-flight tasks stop at their next check. */
  async runForever(signal: AbortSignal): Promise<void> {
    const { config, clock, logger } = this.dependencies;
    signal.addEventListener('abort', () => this.shutdown.abort(signal.reason), { once: true });
    // A state event wakes the watch loop's sleep; one arriving during a watch pass makes it run again at once.
    let wake = new AbortController();
    let changed = false;
    const events = this.dependencies.stateEvents;
    // Changes come in bursts (deactivating, then failed; reset-failed, then start), often in one read from the
    // socket: the watch runs once they have settled for a moment. A unit between the two halves of a restart
    // reads as starting (its job is queued), so a pass that lands there does not mistake it for a fault.
    let settling = false;
    const stopWatching = events?.watch(events.names, () => {
      changed = true;
      if (settling) return;
      settling = true;
      void clock.sleep(EVENT_SETTLE_MS, signal).then(
        () => {
          settling = false;
          wake.abort();
        },
        () => undefined,
      );
    });
    const loop = async (kind: DetectionKind, intervalMs: number) => {
      while (!signal.aborted) {
        const started = clock.monotonic();
        if (kind === 'watch') changed = false;
        try {
          await this.runCycle(kind);
        } catch (error) {
          if (signal.aborted) break;
          logger.error({ kind, error: (error as Error).message }, `${kind} cycle failed`);
        }
        if (kind === 'watch' && changed) continue;
        const live = kind === 'watch' && events?.live() === true;
        if (kind === 'watch') this.noteWatching(live, intervalMs);
        const period = live ? Math.max(intervalMs, EVENT_SWEEP_MS) : intervalMs;
        const wait = Math.max(0, period - (clock.monotonic() - started));
        if (kind === 'watch') {
          wake = new AbortController();
          await clock.sleep(wait, AbortSignal.any([signal, wake.signal])).catch(() => undefined);
        } else {
          await clock.sleep(wait, signal).catch(() => undefined);
        }
      }
    };
    try {
      await Promise.all([loop('watch', config.cycle.watchIntervalMs), loop('full', config.cycle.intervalMs)]);
    } finally {
      stopWatching?.();
    }
    await this.queue.idle();
  }

  /** Records how the watch sees changes when that changes (D-Bus up or lost, say), for `status`. */
  private noteWatching(live: boolean, intervalMs: number): void {
    const { stores, clock, stateEvents } = this.dependencies;
    const rhythm = live ? `the watch runs on each change and every ${EVENT_SWEEP_MS / 1000}s` : `the watch polls every ${intervalMs / 1000}s`;
    const how = `${rhythm}${stateEvents?.describe ? `; ${stateEvents.describe()}` : ''}`;
    if (how === this.watchingNoted) return;
    try {
      stores.state.setWatching(how, clock.now());
      this.watchingNoted = how;
    } catch {
      // A full disk: noted again on the next pass.
    }
  }

  /** Whether a detection pass completed within `withinMs` (for the systemd watchdog). */
  madeProgress(withinMs: number): boolean {
    return this.dependencies.clock.monotonic() - this.lastProgress <= withinMs;
  }

  /** Resolves when no task is queued or being remediated. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private track(issues: readonly Issue[]): { created: number; tracked: number } {
    const { stores, clock, newId, logger } = this.dependencies;
    let created = 0;
    let tracked = 0;
    for (const issue of issues) {
      const existing = stores.tasks.findTracking(issue.fingerprint);
      if (existing) {
        stores.tasks.touch(existing.id, clock.now());
        if (existing.status === 'escalated' && this.recoveredEscalated.delete(existing.id)) this.dependencies.escalations?.recordRecurrence(existing);
        tracked++;
        continue;
      }
      // One task at a time per service: a second symptom of it (failed after inactive) waits for the first, which
      // may be held (paused) and then fixes both; if it does not, the next cycle opens a task for what remains.
      const sibling = stores.tasks
        .listTracking()
        .find((task) => task.service === issue.service && (task.status === 'running' || task.status === 'open' || this.queue.has(task.id)));
      if (sibling) {
        tracked++;
        continue;
      }
      const fileState = issue.evidence.unit?.unitFileState ?? '';
      const operatorIntent = (OPERATOR_INTENT_STATES as readonly string[]).includes(fileState);
      const task: Task = {
        id: newId(),
        fingerprint: issue.fingerprint,
        service: issue.service,
        unit: issue.unit ?? null,
        checkId: issue.checkId,
        symptom: issue.symptom,
        signature: issue.signature,
        status: operatorIntent ? 'ignored' : 'open',
        phase: null,
        message: issue.message,
        evidence: issue.evidence,
        detectedAt: issue.detectedAt,
        lastSeen: issue.detectedAt,
        occurrences: 1,
        closedAt: null,
        fixSuccessful: false,
        fixedByPhase: null,
        durationMs: null,
        reason: operatorIntent ? `the unit is ${fileState}: operator intent, left alone` : null,
      };
      stores.tasks.create(task);
      created++;
      logger.info(
        { task: task.id, service: task.service, symptom: task.symptom, fingerprint: task.fingerprint },
        `new task: ${task.message}${operatorIntent ? ` (${task.reason})` : ''}`,
      );
      if (!operatorIntent) this.enqueue(task, false);
      else this.dependencies.escalations?.leftAlone(task);
    }
    return { created, tracked };
  }

  /**
   * After a full cycle: close open and ignored tasks whose service is healthy again, re-queue open tasks that
   * wait; escalated tasks end with their escalation (auto-resolved after N healthy cycles, or by a human).
   */
  private reconcile(detection: Detection): void {
    const { stores, clock } = this.dependencies;
    const failing = new Set(detection.issues.map((issue) => issue.fingerprint));
    for (const task of stores.tasks.listTracking()) {
      if (task.status === 'running' || task.status === 'escalated' || this.queue.has(task.id)) continue;
      const healthy = detection.healthy.has(task.service) && !failing.has(task.fingerprint);
      if (!healthy) {
        if (task.status === 'open') this.enqueue(task, true);
        continue;
      }
      const now = clock.now();
      stores.tasks.finish(task.id, { status: 'recovered', fixSuccessful: false, fixedByPhase: null, closedAt: now, durationMs: now - task.detectedAt, reason: 'healthy again' });
    }
    this.dependencies.escalations?.observe(detection.healthy);
  }

  /**
   * Escalations a human unblocked: the program is back, the config test passes (checked each full cycle), or
   * someone asked (`escalation retry`). Their task is remediated again, afresh; fixed, the escalation resolves.
   */
  private async retryUnblocked(detection: Detection, checkBlocks: boolean): Promise<void> {
    const { stores, detector, escalations, unblocked, logger } = this.dependencies;
    if (!escalations || !this.dependencies.remediate) return;
    const active = stores.escalations.active();
    // Escalations that ended take their retry counts with them.
    for (const id of this.unblockedRetries.keys()) if (!active.some((escalation) => escalation.id === id)) this.unblockedRetries.delete(id);
    // Watch cycles run often: only an escalation that may be retried now costs its task lookups.
    for (const escalation of active.filter((candidate) => candidate.retryRequestedAt || (checkBlocks && candidate.evidence.block))) {
      const task = [...escalation.taskIds]
        .reverse()
        .map((id) => stores.tasks.get(id))
        .find((candidate) => candidate?.status === 'escalated');
      const service = detector.service(escalation.service);
      if (!task || !service || this.queue.has(task.id)) continue;
      let why: string | undefined;
      const humanAsked = Boolean(escalation.retryRequestedAt);
      if (humanAsked) {
        escalations.retryTaken(escalation);
        why = 'a human asked for a retry';
      } else if (
        checkBlocks &&
        escalation.evidence.block &&
        unblocked &&
        !detection.healthy.has(service.name) &&
        (this.unblockedRetries.get(escalation.id) ?? 0) < MAX_UNBLOCKED_RETRIES
      ) {
        why = await unblocked(escalation.evidence.block, service, this.shutdown.signal).catch(() => undefined);
        if (why) this.unblockedRetries.set(escalation.id, (this.unblockedRetries.get(escalation.id) ?? 0) + 1);
      }
      if (!why) continue;
      logger.info({ escalation: escalation.id, task: task.id, service: service.name }, `retrying the escalated task: ${why}`);
      stores.tasks.setStatus(task.id, 'open', task.phase, `retrying: ${why}`);
      this.enqueue({ ...task, status: 'open' }, true, { why, humanAsked });
    }
  }

  private noteRecoveries(detection: Detection): void {
    const failing = new Set(detection.issues.map((issue) => issue.fingerprint));
    for (const task of this.dependencies.stores.tasks.listTracking()) {
      if (task.status === 'escalated' && detection.healthy.has(task.service) && !failing.has(task.fingerprint)) this.recoveredEscalated.add(task.id);
    }
  }

  private enqueue(task: Task, recheck: boolean, retry?: Retry): void {
    if (this.dependencies.remediate) this.queue.push(task.id, { task, recheck, retry });
  }

  private async work(task: Task, recheck: boolean, retry?: Retry): Promise<void> {
    const { pipeline, logger } = this.dependencies;
    let ending: TaskEnding;
    try {
      ending = await pipeline.remediate(task, { recheck, signal: this.shutdown.signal, retry });
    } catch (error) {
      if (isStorageError(error)) {
        this.stranded.add(task.id);
        this.storageFailed(error);
        return;
      }
      logger.error({ task: task.id, error: (error as Error).message }, 'remediation failed unexpectedly');
      return;
    }
    if (ending === 'fixed') this.fixesSinceSummary++;
    if (ending === 'escalated') this.escalationsSinceSummary++;
  }

  /**
   * A service with an alert still firing for one of its tasks is not healthy, whatever its own checks say:
   * Prometheus sees something they do not (its tasks are not closed, its escalation not auto-resolved).
   */
  private withFiringAlerts(detection: Detection): void {
    for (const service of this.dependencies.stores.alerts.firingServices()) detection.healthy.delete(service);
  }

  /** Services whose silence or maintenance window ended since the last pass: their held tasks are handled now. */
  private noteSilenceEnds(): void {
    const { silences, detector, stores, logger } = this.dependencies;
    if (!silences) return;
    const services = this.dependencies.config.services.map((service) => detector.service(service.name) ?? service);
    const now = new Set(silences.activeMany(services).keys());
    for (const name of this.silenced) {
      if (now.has(name)) continue;
      const held = stores.tasks.listTracking().filter((task) => task.service === name && task.status === 'open' && !this.queue.has(task.id));
      if (held.length > 0) logger.info({ service: name, tasks: held.map((task) => task.id) }, `${name} is no longer silenced: handling its ${held.length} waiting task(s) now`);
      for (const task of held) this.enqueue(task, true);
    }
    this.silenced = now;
  }

  /**
   * A firing alert from Alertmanager for a managed service: it joins the service's unfinished task, or opens one
   * that is remediated like any other (through the same phases, gate and budget). Returns the task and which.
   */
  alertFiring(service: CompiledService, alert: AlertEvidence): { taskId: string; outcome: 'opened' | 'joined' } {
    const { stores, clock, newId, logger } = this.dependencies;
    const now = clock.now();
    const existing = stores.tasks.listTracking().find((task) => task.service === service.name && task.status !== 'ignored');
    if (existing) {
      const alerts = [...(existing.evidence.alerts ?? []).filter((kept) => kept.fingerprint !== alert.fingerprint || kept.startsAt !== alert.startsAt), alert];
      stores.tasks.setEvidence(existing.id, { ...existing.evidence, alerts: alerts.slice(-ALERTS_IN_EVIDENCE) });
      stores.tasks.touch(existing.id, now);
      return { taskId: existing.id, outcome: 'joined' };
    }
    const checkId = `alert:${alert.alertname}`;
    const summary = alert.annotations.summary ?? alert.annotations.description ?? '';
    const task: Task = {
      id: newId(),
      fingerprint: fingerprintOf(service.name, checkId, 'alert_firing'),
      service: service.name,
      unit: service.unit || null,
      checkId,
      symptom: 'alert_firing',
      signature: `alert_firing:${alert.alertname}`,
      status: 'open',
      phase: null,
      message: `Alertmanager: ${alert.alertname} is firing for ${service.name}${summary ? `: ${summary.slice(0, 300)}` : ''}`,
      evidence: { logs: [], checks: [], alerts: [alert] },
      detectedAt: now,
      lastSeen: now,
      occurrences: 1,
      closedAt: null,
      fixSuccessful: false,
      fixedByPhase: null,
      durationMs: null,
      reason: null,
    };
    stores.tasks.create(task);
    logger.info({ task: task.id, service: service.name, alert: alert.alertname, fingerprint: alert.fingerprint }, `new task: ${task.message}`);
    // Its own checks may well pass (Prometheus sees what they do not): it is acted on without a re-check first.
    this.enqueue(task, false);
    return { taskId: task.id, outcome: 'opened' };
  }

  /** Alertmanager says an alert of a task resolved: an unfinished task is re-checked now (and closes if healthy). */
  alertResolved(taskId: string): void {
    const task = this.dependencies.stores.tasks.get(taskId);
    if (!task || task.status !== 'open' || this.queue.has(task.id)) return;
    if (this.dependencies.stores.alerts.firingForTask(task.id).length > 0) return;
    this.enqueue(task, true);
  }
}
