/** Phase 1, quick fix (30 s budget): learned patterns, the service's dependencies and profile, then restart with backoff. */
import type { CompiledConfig, CompiledService } from '../config/compiled.js';
import type { Clock, FileSystem, ServiceAdapter } from '../core/ports.js';
import type { LearnedPattern, Plan } from '../core/types.js';
import type { Stores } from '../store/stores.js';
import { planKey } from '../actions/catalog.js';
import { findStaleFiles } from '../actions/stale-files.js';
import { rootedRuntimeFiles } from '../actions/scope.js';
import type { PlanRunner } from './plan-runner.js';
import type { PhaseOutcome, RemediationPhase, TaskContext } from './phase.js';
import { quickFixPlans } from './quick-fix-plans.js';
import { phaseOutcome } from './plan-outcome.js';

export interface QuickFixDependencies {
  config: CompiledConfig;
  stores: Stores;
  planRunner: PlanRunner;
  adapter: ServiceAdapter;
  files: FileSystem;
  clock: Clock;
  /** Fleet-wide learning: the local patterns plus what fixed the same fault on other hosts (with a fleet store). */
  fleetPatterns?(service: CompiledService, signature: string, local: LearnedPattern[], signal: AbortSignal): Promise<Array<LearnedPattern & { fleet?: { hosts: string[] } }>>;
}

export class QuickFixPhase implements RemediationPhase {
  readonly phase = 1 as const;
  readonly name = 'quick fix';
  readonly timeoutMs: number;

  constructor(private readonly dependencies: QuickFixDependencies) {
    this.timeoutMs = dependencies.config.phases.quickFix.timeoutMs;
  }

  async run(context: TaskContext, signal: AbortSignal): Promise<PhaseOutcome> {
    const { task, service } = context;
    if (task.symptom === 'unit_not_found') return { kind: 'escalate', reason: `${service.unit} is not installed: nothing to restart` };
    const plans = await this.plans(context, signal);
    let cleanedFor: string | undefined;
    const tried = new Set(context.attempts.filter((attempt) => attempt.source !== 'generic').map((attempt) => attempt.planKey));
    // The diagnosis is read before each plan: a failed attempt may have shown (203/EXEC, EACCES) what the first
    // failure did not, so its remedy goes next and restarts that cannot help are dropped from then on.
    const next = async (): Promise<Plan | undefined> => {
      const diagnosis = context.diagnosis;
      if (diagnosis?.fullPath && diagnosis.fullPath !== cleanedFor) {
        cleanedFor = diagnosis.fullPath;
        plans.unshift(...(await this.cleanBeforeStart(context)));
      }
      if (diagnosis?.remedy && diagnosis.remedyInPhase1 && !tried.has(planKey(diagnosis.remedy))) return diagnosis.remedy;
      while (plans.length > 0) {
        const plan = plans.shift()!;
        if (!(diagnosis?.restartFutile && plan.source === 'generic')) return plan;
      }
      return undefined;
    };
    if (plans.length === 0 && !(context.diagnosis?.remedy && context.diagnosis.remedyInPhase1) && !context.diagnosis?.fullPath) {
      return context.diagnosis?.restartFutile
        ? { kind: 'unfixed', reason: `no restart was spent: ${context.diagnosis.headline}` }
        : { kind: 'unfixed', reason: `no quick fix known for ${task.symptom} on ${service.name}` };
    }

    let genericTries = context.attempts.filter((attempt) => attempt.source === 'generic').length;
    const dryRunPlans: string[] = [];
    for (let plan = await next(); plan; plan = await next()) {
      const key = planKey(plan);
      if (plan.source === 'generic') {
        if (genericTries >= this.dependencies.config.phases.quickFix.restartAttempts) continue;
        if (genericTries > 0) await this.dependencies.clock.sleep(this.dependencies.config.phases.quickFix.backoffMs * 2 ** (genericTries - 1), signal);
        genericTries++;
      } else if (tried.has(key)) continue;
      tried.add(key);
      const result = await this.dependencies.planRunner.run(context, plan, 1, signal);
      // In a dry run every candidate is recorded, so the operator sees the whole decision.
      if (result.status === 'refused' && result.refusal.reason === 'dry_run') {
        dryRunPlans.push(plan.reason);
        continue;
      }
      const outcome = phaseOutcome(result);
      if (outcome) return outcome;
    }
    if (dryRunPlans.length > 0) return { kind: 'held', status: 'ignored', reason: `dry run: would try ${dryRunPlans.join(', then ')}` };
    const spent = context.attempts.filter((attempt) => attempt.phase === 1 && attempt.outcome !== 'refused').length;
    if (spent === 0 && context.diagnosis?.restartFutile) return { kind: 'unfixed', reason: `no restart was spent: ${context.diagnosis.headline}` };
    return { kind: 'unfixed', reason: `phase 1 tried ${context.attempts.filter((attempt) => attempt.phase === 1).length} plan(s); none was verified` };
  }

  /**
   * The service fails for want of space on the filesystem its error names: clean the allow-listed directories on
   * that filesystem (their configured age), then start it. Nothing else on that filesystem is touched.
   */
  private async cleanBeforeStart(context: TaskContext): Promise<Plan[]> {
    const full = context.diagnosis?.fullPath;
    const { service } = context;
    if (!full || !service.unit) return [];
    const entries = await cleanupOnFilesystemOf(this.dependencies.config, this.dependencies.files, full.replace(/\/[^/]*$/, '') || '/');
    return entries.map((entry): Plan => ({
      actions: [
        { type: 'clean_directory', params: { path: entry.path } },
        { type: 'start_unit', params: { unit: service.unit } },
      ],
      source: 'profile',
      reason: `${service.unit} fails for want of space where it writes (${full}): clean allow-listed ${entry.path} on that filesystem (files older than ${Math.round(entry.olderThanMs / 60_000)} min), then start`,
    }));
  }

  private async patterns(service: CompiledService, signature: string, signal: AbortSignal) {
    const { stores, clock, fleetPatterns } = this.dependencies;
    const local = stores.patterns.lookup(service.name, signature, clock.now());
    return fleetPatterns ? fleetPatterns(service, signature, local, signal) : local;
  }

  private async plans(context: TaskContext, signal: AbortSignal): Promise<Plan[]> {
    const { task, service, scope } = context;
    const { adapter, files, config } = this.dependencies;
    const statuses = service.unit ? await adapter.statusMany([service.unit, ...scope.dependencyUnits], signal) : new Map();
    const downDependencies = scope.dependencyUnits.filter((unit) => {
      const state = statuses.get(unit)?.state;
      return state !== 'running' && state !== 'starting';
    });
    return quickFixPlans({
      task,
      service,
      patterns: await this.patterns(service, task.signature, signal),
      minConfidence: config.phases.quickFix.minConfidence,
      downDependencies,
      staleFiles: await findStaleFiles(rootedRuntimeFiles(service.runtimeFiles, scope, config.dataDir), files),
      restartAttempts: config.phases.quickFix.restartAttempts,
      cleanup: await cleanupOnFullFilesystem(config, files, task.checkId),
      unitFailed: statuses.get(service.unit)?.state !== 'running',
    });
  }
}

/**
 * The allow-listed cleanup directories on the filesystem that is full (the task's disk or inodes check names its
 * mount); a directory on another filesystem would free nothing there, so it is never cleaned for this fault.
 */
export async function cleanupOnFullFilesystem(config: CompiledConfig, files: FileSystem, checkId: string): Promise<CompiledConfig['host']['cleanup']> {
  const mount = /^(?:disk|inodes):(\/.*)$/.exec(checkId)?.[1];
  return mount ? cleanupOnFilesystemOf(config, files, mount) : [];
}

/** The allow-listed cleanup directories on the filesystem that holds `path` (a mount, or where a service writes). */
export async function cleanupOnFilesystemOf(config: CompiledConfig, files: FileSystem, path: string): Promise<CompiledConfig['host']['cleanup']> {
  const onFilesystem: Array<CompiledConfig['host']['cleanup'][number]> = [];
  for (const entry of config.host.cleanup) if (await files.sameFilesystem(entry.path, path)) onFilesystem.push(entry);
  return onFilesystem;
}
