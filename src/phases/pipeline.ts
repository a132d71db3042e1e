/**
 * The pipeline runs one task through the phases in order, each under its own time budget (an AbortSignal),
 * passing the accumulated context along. What no phase fixes is escalated. The pipeline never throws for a
 * task: every ending is recorded on the task.
 */
import type { Clock, IdGenerator, ServiceAdapter } from '../core/ports.js';
import type { Phase, Task } from '../core/types.js';
import type { CompiledConfig, CompiledService } from '../config/compiled.js';
import type { EscalationService } from '../escalation/escalation-service.js';
import type { MetricsRecorder } from '../core/metrics.js';
import type { Stores } from '../store/stores.js';
import type { Detector } from '../checks/detector.js';
import type { Logger } from '../core/logger.js';
import type { PhaseOutcome, RemediationPhase, TaskContext } from './phase.js';
import { HOST_SERVICE } from '../checks/host-checks.js';
import { HOST_PSEUDO_SERVICE, scopeOf } from '../actions/task-scope.js';
import { sanitizeLines } from '../core/sanitize.js';
import { unitEvidence } from '../checks/unit-evidence.js';
import { isStorageError } from '../store/storage-error.js';
import { clockTimeout } from '../core/clock-timeout.js';
import type { DriftReport } from '../drift/drift.js';
import { describeDrift } from '../drift/drift.js';
import { diagnose, type Diagnosis } from '../drift/diagnosis.js';
import { startAttempts } from '../investigation/start-attempts.js';
import { describeSilence, type ActiveSilence } from '../control/silences.js';
import { describeAutonomy, effectiveAutonomy } from '../control/autonomy.js';

/** What is found out about a failed service before anything is tried (runtime/investigation.ts). */
export interface Investigation {
  drift?: DriftReport;
  /** A process on one of its ports that no managed service owns. */
  strayListener?: { port: number; pid: number; command: string };
}

export interface PipelineDependencies {
  stores: Stores;
  detector: Detector;
  adapter: ServiceAdapter;
  phases: readonly RemediationPhase[];
  clock: Clock;
  newId: IdGenerator;
  logger: Logger;
  /** The persisted kill switch: when on, tasks wait open and nothing is tried. */
  isPaused: () => boolean;
  escalations: EscalationService;
  config: CompiledConfig;
  metrics?: MetricsRecorder;
  /** What silences the service now (a silence or maintenance window): its tasks wait, nothing is done or sent. */
  silenced?: (service: CompiledService) => ActiveSilence | undefined;
  /** Read-only: the drift since the service was last known good, who holds its ports. */
  investigate?: (service: CompiledService, signal: AbortSignal) => Promise<Investigation>;
}

export type TaskEnding = 'fixed' | 'recovered' | 'escalated' | 'held' | 'interrupted';

/** How often a task waiting on its dependency's remediation looks again. */
const DEPENDENCY_POLL_MS = 250;

export class Pipeline {
  constructor(private readonly dependencies: PipelineDependencies) {}

  /** Remediates a task. `recheck` first re-runs the checks (for resumed or re-queued tasks). */
  async remediate(task: Task, options: { recheck: boolean; signal: AbortSignal; retry?: { why: string; humanAsked: boolean } }): Promise<TaskEnding> {
    const { stores, detector, clock, logger } = this.dependencies;
    const service = task.service === HOST_SERVICE ? HOST_PSEUDO_SERVICE : (detector.service(task.service) ?? (task.unit ? detector.discover(task.unit) : undefined));
    if (!service) {
      return this.escalate(task, null, `service ${task.service} is no longer configured`);
    }
    if (options.recheck) {
      const checks = await detector.verify(service.name, { signal: options.signal });
      if (checks.every((check) => check.ok)) {
        this.close(task, 'recovered', null, 'healthy again when re-checked; nothing was done');
        return 'recovered';
      }
    }
    if (this.dependencies.isPaused()) {
      stores.tasks.setStatus(task.id, 'open', task.phase, 'paused: the kill switch is on; detection continues, no action is taken');
      return 'held';
    }
    const silence = task.service === HOST_SERVICE ? undefined : this.dependencies.silenced?.(service);
    if (silence) {
      stores.tasks.setStatus(task.id, 'open', task.phase, `${describeSilence(silence)}; detection continues, no action is taken and nothing is sent`);
      return 'held';
    }
    const autonomy = effectiveAutonomy(service, stores.state.autonomyOverrides());
    if (autonomy.mode === 'off' && task.service !== HOST_SERVICE) {
      return this.escalate(task, null, `automation is off for ${service.name}: ${describeAutonomy(autonomy)}; nothing was tried`);
    }
    stores.tasks.setStatus(task.id, 'running', 1);
    const context: TaskContext = {
      task,
      service: autonomy.mode === service.autonomy ? service : { ...service, autonomy: autonomy.mode },
      evidence: task.evidence,
      scope: await this.scope(service, options.signal),
      // A retry once the block cleared starts afresh: what failed before failed against what is gone now.
      attempts: options.retry ? [] : stores.attempts.forTask(task.id),
      findings: options.retry ? [`retried: ${options.retry.why}`] : [],
      humanAsked: options.retry?.humanAsked,
    };
    // Ask what changed before anything is tried: the drift joins the task's evidence, and the diagnosis decides
    // whether a restart can help at all.
    await this.investigate(context, options.signal);
    // A dependency being fixed by its own task (or fixed since this fault was seen) may be all that was wrong: wait
    // for that task, then re-check before acting here (restarting the app while redis is restarted helps nobody).
    const fixedDependencies = await this.awaitDependencyFixes(task, context, options.signal);
    if (fixedDependencies.length > 0) {
      const checks = await detector.verify(service.name, { signal: options.signal });
      if (checks.every((check) => check.ok)) {
        this.close(task, 'recovered', null, `healthy again once its dependency ${fixedDependencies.join(', ')} was fixed; nothing was done to ${service.name}`);
        return 'recovered';
      }
      context.findings.push(`still failing after its dependency ${fixedDependencies.join(', ')} was fixed`);
    }
    // Restarting a dependent while its dependency's own task still fails helps nobody: it waits for that task.
    const blocking = await this.failingDependencyTask(task, context, options.signal);
    if (blocking) {
      const reason = `waiting: its dependency ${blocking.service} is still failing (task ${blocking.id}, ${blocking.status}); ${service.name} is not restarted meanwhile`;
      stores.tasks.setStatus(task.id, 'open', task.phase, reason);
      logger.info({ task: task.id, service: service.name, dependencyTask: blocking.id }, reason);
      return 'held';
    }
    let lastReason = '';
    let lastPhase: Phase | null = null;
    for (const phase of this.dependencies.phases) {
      stores.tasks.setStatus(task.id, 'running', phase.phase);
      if (phase.phase > 1) context.evidence = await this.freshEvidence(context, options.signal);
      const budget = clockTimeout(clock, phase.timeoutMs, `phase ${phase.phase} ran out of its ${phase.timeoutMs} ms budget`);
      const signal = AbortSignal.any([options.signal, budget.signal]);
      let outcome: PhaseOutcome;
      const phaseStarted = clock.monotonic();
      try {
        outcome = await phase.run(context, signal);
        this.dependencies.metrics?.phase(phase.phase, clock.monotonic() - phaseStarted, outcome.kind);
      } catch (error) {
        this.dependencies.metrics?.phase(phase.phase, clock.monotonic() - phaseStarted, 'error');
        // Nothing is tried that cannot be recorded first: the task waits for the store (orchestrator.ts).
        if (isStorageError(error)) throw error;
        if (options.signal.aborted) {
          stores.tasks.setStatus(task.id, 'open', phase.phase, 'interrupted by shutdown; will be re-checked on restart');
          return 'interrupted';
        }
        const timedOut = signal.aborted;
        outcome = {
          kind: 'unfixed',
          reason: timedOut ? `phase ${phase.phase} (${phase.name}) ran out of its ${phase.timeoutMs} ms budget` : `phase ${phase.phase} failed: ${(error as Error).message}`,
        };
        logger.warn({ task: task.id, phase: phase.phase, error: (error as Error).message }, outcome.reason);
      } finally {
        budget.cancel();
      }
      lastPhase = phase.phase;
      if (outcome.kind === 'fixed') {
        this.close(task, 'fixed', phase.phase, outcome.attempt.reason);
        if (options.retry) this.dependencies.escalations.taskFixed(task.id, `${options.retry.why}; ${outcome.attempt.planKey} verified`);
        return 'fixed';
      }
      if (outcome.kind === 'held') {
        stores.tasks.setStatus(task.id, outcome.status, phase.phase, outcome.reason);
        return 'held';
      }
      lastReason = outcome.reason;
      if (outcome.kind === 'escalate') break;
    }
    return this.escalate(task, lastPhase, escalationReason(lastReason, context), context);
  }

  private async investigate(context: TaskContext, signal: AbortSignal): Promise<void> {
    const { investigate, stores, logger } = this.dependencies;
    const { task, service } = context;
    if (!investigate || task.service === HOST_SERVICE || !service.unit) return;
    // The state and journal as they are now: what the process printed as it died is often not yet in the journal
    // at the moment its death was seen, and a task held (paused) meanwhile saw an older state.
    context.evidence = await this.freshEvidence(context, signal);
    let found: Investigation = {};
    try {
      found = await investigate(service, signal);
    } catch (error) {
      logger.warn({ task: task.id, service: service.name, error: (error as Error).message }, 'could not compute the drift');
    }
    if (found.drift) {
      context.evidence = { ...context.evidence, drift: found.drift };
      task.evidence = context.evidence;
      stores.tasks.setEvidence(task.id, context.evidence);
    }
    const conclude = () => {
      const before = context.diagnosis?.headline;
      context.diagnosis =
        diagnose({ unit: service.unit, evidence: context.evidence, strayListener: found.strayListener, configTestFailure: context.configTestFailure }) ?? context.diagnosis;
      if (context.diagnosis && context.diagnosis.headline !== before) {
        context.findings = [...context.findings.filter((finding) => !finding.startsWith('diagnosis: ')), `diagnosis: ${context.diagnosis.headline}`];
        logger.info({ task: task.id, service: service.name, restartFutile: context.diagnosis.restartFutile }, `diagnosis: ${context.diagnosis.headline}`);
      }
    };
    conclude();
    context.reconsider = async (reconsidering) => {
      context.evidence = await this.freshEvidence(context, reconsidering);
      conclude();
    };
  }

  /**
   * Waits (at most phase 1's budget) while a task of one of the service's dependencies is being remediated, and
   * returns the dependencies whose tasks were remediated meanwhile or were fixed since this task's fault was seen.
   */
  private async awaitDependencyFixes(task: Task, context: TaskContext, signal: AbortSignal): Promise<string[]> {
    const units = context.scope.dependencyUnits;
    if (units.length === 0 || task.service === HOST_SERVICE) return [];
    const { stores, clock, config } = this.dependencies;
    const involved = new Set<string>();
    const deadline = clock.monotonic() + config.phases.quickFix.timeoutMs;
    for (;;) {
      const running = stores.tasks.listTracking().filter((other) => other.id !== task.id && other.status === 'running' && other.unit !== null && units.includes(other.unit));
      for (const other of running) involved.add(other.service);
      if (running.length === 0 || clock.monotonic() >= deadline) break;
      await clock.sleep(DEPENDENCY_POLL_MS, signal);
    }
    const since = task.detectedAt - config.verification.settleMs;
    const services = new Set(units.map((unit) => this.dependencies.detector.serviceByUnit(unit)?.name).filter((name): name is string => name !== undefined));
    for (const name of services) {
      if (stores.tasks.list({ service: name, status: 'fixed', limit: 5 }).some((other) => (other.closedAt ?? 0) >= since)) involved.add(name);
    }
    // Only those that ended fixed (or are still at it) explain this fault; an escalated dependency does not.
    return [...involved].filter((name) => stores.tasks.list({ service: name, limit: 1 })[0]?.status !== 'escalated');
  }

  /** A tracked task of one of the service's dependencies whose unit is still down, if any. */
  private async failingDependencyTask(task: Task, context: TaskContext, signal: AbortSignal): Promise<Task | undefined> {
    const units = context.scope.dependencyUnits;
    if (units.length === 0 || task.service === HOST_SERVICE) return undefined;
    const { stores, adapter } = this.dependencies;
    const candidates = stores.tasks
      .listTracking()
      .filter((other) => other.id !== task.id && other.unit !== null && units.includes(other.unit) && ['open', 'running', 'escalated'].includes(other.status));
    if (candidates.length === 0) return undefined;
    const statuses = await adapter.statusMany([...new Set(candidates.map((other) => other.unit!))], signal).catch(() => new Map());
    return candidates.find((other) => {
      const state = statuses.get(other.unit!)?.state;
      return state !== 'running' && state !== 'starting';
    });
  }

  /** Current unit state and journal lines, so later phases see what earlier attempts caused. */
  private async freshEvidence(context: TaskContext, signal: AbortSignal): Promise<TaskContext['evidence']> {
    const { service } = context;
    if (!service.unit) return context.evidence;
    const { adapter } = this.dependencies;
    const status = (await adapter.statusMany([service.unit], signal).catch(() => new Map())).get(service.unit);
    const logs = await adapter.logs(service.unit, { lines: 30 }, signal).catch(() => context.evidence.logs);
    return {
      ...context.evidence,
      unit: status ? unitEvidence(service.unit, status) : context.evidence.unit,
      logs: sanitizeLines(logs, 30),
      checks: context.attempts.findLast((attempt) => attempt.verification)?.verification?.checks ?? context.evidence.checks,
    };
  }

  private close(task: Task, status: 'fixed' | 'recovered', phase: Phase | null, reason: string): void {
    const now = this.dependencies.clock.now();
    this.dependencies.stores.tasks.finish(task.id, {
      status,
      fixSuccessful: status === 'fixed',
      fixedByPhase: phase,
      closedAt: now,
      durationMs: now - task.detectedAt,
      reason,
    });
    this.dependencies.logger.info({ task: task.id, service: task.service, status, phase, durationMs: now - task.detectedAt }, `task ${status}: ${reason}`);
  }

  /** Hands the task to a human: phase 4 opens (or joins) an escalation and queues the notifications. */
  private async escalate(task: Task, phase: Phase | null, reason: string, context?: TaskContext): Promise<TaskEnding> {
    const { stores, clock, escalations } = this.dependencies;
    // Everything asked first, then the writes back to back: no moment where the task says escalated and the
    // escalation does not exist yet (readers of the databases, such as the dashboard, see both or neither).
    const causeKey = await this.causeOf(task, context);
    const hypotheses = context?.findings.filter((finding) => /^phase [23] /.test(finding)) ?? [];
    const now = clock.now();
    // What only a human can clear goes with the escalation, so every cycle can see whether it has been cleared.
    if (context) {
      const evidence = { ...context.evidence, block: context.diagnosis?.block };
      task = { ...task, evidence };
      stores.tasks.setEvidence(task.id, evidence);
    }
    stores.tasks.finish(task.id, { status: 'escalated', fixSuccessful: false, fixedByPhase: null, closedAt: null, durationMs: now - task.detectedAt, reason });
    stores.tasks.setStatus(task.id, 'escalated', phase ?? 4);
    escalations.escalate({ task: { ...task, status: 'escalated', reason }, reason, causeKey, hypotheses });
    return 'escalated';
  }

  /**
   * What an escalation is grouped by: a dependency that is down (its dependents' escalations join one), a full
   * disk that the service's logs complain about, or the service's own unit.
   */
  private async causeOf(task: Task, context?: TaskContext): Promise<string | null> {
    if (task.service === HOST_SERVICE) return `host:${task.checkId}`;
    if (!context || !task.unit) return task.unit ? `unit:${task.unit}` : null;
    const { adapter, stores, config } = this.dependencies;
    const statuses = await adapter.statusMany(context.scope.dependencyUnits).catch(() => new Map());
    const down = context.scope.dependencyUnits.find((unit) => {
      const state = statuses.get(unit)?.state;
      return state !== undefined && state !== 'running' && state !== 'starting';
    });
    if (down) return `unit:${down}`;
    if (context.evidence.logs.some((line) => /No space left on device|ENOSPC/i.test(line))) {
      const disk = config.host.disk.mounts.map((mount) => `host:disk:${mount}`).find((key) => stores.escalations.activeForCause(key, 0));
      if (disk) return disk;
    }
    return `unit:${task.unit}`;
  }

  private scope(service: CompiledService, signal: AbortSignal): Promise<TaskContext['scope']> {
    const { adapter, detector } = this.dependencies;
    return scopeOf(service, { adapter, serviceByUnit: (unit) => detector.serviceByUnit(unit), signal });
  }
}

/**
 * What a human reads: the diagnosis as the headline (never the budget running out), the drift with its times,
 * what each attempt did and printed, and the command they would most likely run first.
 */
export function escalationReason(lastReason: string, context: TaskContext): string {
  const findings = context.findings.filter((finding) => !finding.startsWith('diagnosis: '));
  const diagnosis: Diagnosis | undefined = context.diagnosis ?? undiagnosed(lastReason, context);
  if (!diagnosis) return [lastReason, ...findings].filter(Boolean).join('\n');
  const lines = [diagnosis.headline];
  const drift = context.evidence.drift;
  if (drift && (drift.changes.length > 0 || drift.packages.length > 0 || drift.modified.length > 0 || drift.facts.length > 0)) {
    lines.push('what changed:', ...describeDrift(drift, (ms) => new Date(ms).toISOString()).map((line) => `  ${line}`));
  }
  const attempts = context.attempts.filter((attempt) => attempt.outcome !== 'shadow');
  if (attempts.length > 0)
    lines.push('tried:', ...attempts.map((attempt) => `  phase ${attempt.phase} ${attempt.planKey}: ${attempt.outcome ?? 'unfinished'}: ${attempt.detail.slice(0, 400)}`));
  // What the last start printed, in its own words: the lines of the unit's last start attempt in the journal.
  const last = startAttempts(context.evidence.logs).at(-1);
  if (last && last.lines.length > 0)
    lines.push(`the last start${last.failure ? ` (${last.failure})` : ''} printed:`, ...last.lines.slice(-10).map((line) => `  ${line.slice(0, 300)}`));
  if (diagnosis.command) lines.push(`first thing to run: ${diagnosis.command}`);
  lines.push(`why it stopped here: ${lastReason}`, ...findings);
  return lines.filter(Boolean).join('\n');
}

/**
 * Reasons that say why nothing more was tried (the budget, a phase with nothing to do), never what is wrong: facts
 * for the timeline, not a headline.
 */
const STOPPED_BY_POLICY =
  /^(action budget for .* exhausted|global rate limit reached|phase 3 has nothing to vote on|no quick fix known for|phase \d+ tried \d+ plan|phase \d+ \(.*\) ran out of its)/;

/**
 * No diagnosis, and what stopped the phases is the safety policy (the budget ran out): the headline says what the
 * service does and what was tried, in the task's own words; the budget follows as why it stopped there.
 */
function undiagnosed(lastReason: string, context: TaskContext): Diagnosis | undefined {
  if (!STOPPED_BY_POLICY.test(lastReason)) return undefined;
  const acted = context.attempts.filter((attempt) => attempt.outcome === 'failure' || attempt.outcome === 'error');
  const last = acted.at(-1)?.verification?.checks.find((check) => !check.ok)?.message;
  return {
    headline:
      acted.length > 0
        ? `${context.task.message}: not fixed by ${acted.length} attempt(s)${last ? `; after the last: ${last}` : ''}`
        : `${context.task.message}: nothing the orchestrator may do fixes it`,
    restartFutile: false,
    causes: [],
    remedyInPhase1: false,
  };
}
