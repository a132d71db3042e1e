/** Phase 1, quick fix (30 s budget): learned patterns, the service's dependencies and profile, then restart with backoff. */
import type { CompiledConfig } from '../config/compiled.js';
import type { Clock, FileSystem, ServiceAdapter } from '../core/ports.js';
import type { Plan } from '../core/types.js';
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
    const diagnosis = context.diagnosis;
    let plans = await this.plans(context, signal);
    if (diagnosis?.restartFutile) plans = plans.filter((plan) => plan.source !== 'generic');
    if (diagnosis?.remedy && diagnosis.remedyInPhase1) plans.unshift(diagnosis.remedy);
    if (plans.length === 0 && diagnosis?.restartFutile) return { kind: 'unfixed', reason: `no restart was spent: ${diagnosis.headline}` };
    if (plans.length === 0) return { kind: 'unfixed', reason: `no quick fix known for ${task.symptom} on ${service.name}` };

    const tried = new Set(context.attempts.filter((attempt) => attempt.source !== 'generic').map((attempt) => attempt.planKey));
    let genericTries = context.attempts.filter((attempt) => attempt.source === 'generic').length;
    const dryRunPlans: string[] = [];
    for (const plan of plans) {
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
    return { kind: 'unfixed', reason: `phase 1 tried ${context.attempts.filter((attempt) => attempt.phase === 1).length} plan(s); none was verified` };
  }

  private async plans(context: TaskContext, signal: AbortSignal): Promise<Plan[]> {
    const { task, service, scope } = context;
    const { adapter, files, stores, clock, config } = this.dependencies;
    const statuses = service.unit ? await adapter.statusMany([service.unit, ...scope.dependencyUnits], signal) : new Map();
    const downDependencies = scope.dependencyUnits.filter((unit) => {
      const state = statuses.get(unit)?.state;
      return state !== 'running' && state !== 'starting';
    });
    return quickFixPlans({
      task,
      service,
      patterns: stores.patterns.lookup(service.name, task.signature, clock.now()),
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
  if (!mount) return [];
  const onMount: Array<CompiledConfig['host']['cleanup'][number]> = [];
  for (const entry of config.host.cleanup) if (await files.sameFilesystem(entry.path, mount)) onMount.push(entry);
  return onMount;
}
