/**
 * Phase 2, AI research (5 min budget): one agent's verdict, acted on when its confidence reaches the threshold
 * and the proposal passes the catalog and the policy; then the recovery ladder, levels not yet tried. In shadow
 * mode the proposal is recorded and nothing is done.
 */
import type { CompiledConfig } from '../config/compiled.js';
import type { Clock, FileSystem } from '../core/ports.js';
import type { Logger } from '../core/logger.js';
import type { Plan } from '../core/types.js';
import type { Stores } from '../store/stores.js';
import type { ConfigSnapshots } from '../store/config-snapshots.js';
import type { Agent, Toolbox } from '../agents/agent.js';
import { buildAgentContext } from './agent-context.js';
import { planKey } from '../actions/catalog.js';
import { findStaleFiles } from '../actions/stale-files.js';
import { rootedRuntimeFiles, runtimeRoots } from '../actions/scope.js';
import type { PlanRunner } from './plan-runner.js';
import { phaseOutcome } from './plan-outcome.js';
import type { PhaseOutcome, RemediationPhase, TaskContext } from './phase.js';
import { askAgent, describeVerdict } from './agent-verdicts.js';
import { planFor, withinCapabilities } from './proposals.js';
import { ladderPlans } from './recovery-ladder.js';

export interface ResearchDependencies {
  config: CompiledConfig;
  stores: Stores;
  planRunner: PlanRunner;
  agent: Agent;
  files: FileSystem;
  snapshots: ConfigSnapshots;
  clock: Clock;
  logger: Logger;
  /** The task's read-only investigation tools, offered to the agent (none: it decides from the context alone). */
  tools?: (context: TaskContext) => Toolbox;
}

export class ResearchPhase implements RemediationPhase {
  readonly phase = 2 as const;
  readonly name = 'AI research';
  readonly timeoutMs: number;

  constructor(private readonly dependencies: ResearchDependencies) {
    this.timeoutMs = dependencies.config.phases.research.timeoutMs;
  }

  async run(context: TaskContext, signal: AbortSignal): Promise<PhaseOutcome> {
    const { config, stores, agent, snapshots, clock } = this.dependencies;
    const { service, task } = context;
    if (!service.unit) return { kind: 'unfixed', reason: 'phase 2 has nothing to try for a host-level issue' };
    const agentContext = buildAgentContext(context, {
      config,
      learned: stores.patterns.lookup(service.name, task.signature, clock.now()),
      hasSnapshot: snapshots.has(service.name),
    });
    const result = await askAgent(this.dependencies, context, agent, agentContext, 'general', 2, signal, this.dependencies.tools?.(context));
    context.findings.push(`phase 2 ${describeVerdict('agent', agent.name, result)}`);
    const threshold = config.phases.research.minConfidence;
    const shadow = service.autonomy === 'shadow';

    if (result.kind === 'escalate' && result.verdict.confidence >= threshold) {
      return { kind: 'escalate', reason: `the ${agent.name} agent recommends a human: ${result.verdict.diagnosis}` };
    }
    if (result.kind === 'action') {
      const proposed = planFor(result.action, service, 'agent', `${agent.name} agent (confidence ${result.verdict.confidence.toFixed(2)}): ${result.verdict.diagnosis}`);
      // An action the adapter cannot run at all stays as proposed: the executor refuses it and the refusal is recorded.
      const plan = withinCapabilities(proposed, context.scope.capabilities) ?? proposed;
      if (shadow) {
        this.dependencies.planRunner.recordShadow(context, plan, 2);
        return { kind: 'unfixed', reason: 'shadow mode: phase 2 recorded its proposal without acting' };
      }
      if (result.verdict.confidence < threshold) {
        context.findings.push(`phase 2: the proposal's confidence ${result.verdict.confidence.toFixed(2)} is below the threshold ${threshold}; not acted on`);
      } else {
        const outcome = await this.tryPlan(context, plan, signal);
        if (outcome) return outcome;
      }
    }
    if (shadow || !config.phases.research.ladder) return { kind: 'unfixed', reason: 'phase 2 found no verified fix' };

    for (const plan of await this.ladder(context)) {
      if (context.attempts.some((attempt) => attempt.planKey === planKey(plan) && attempt.phase >= 2)) continue;
      const outcome = await this.tryPlan(context, plan, signal);
      if (outcome) return outcome;
    }
    return { kind: 'unfixed', reason: 'phase 2: neither the agent nor the recovery ladder produced a verified fix' };
  }

  /** Runs a plan; returns an outcome that ends the phase, or undefined to go on. */
  private async tryPlan(context: TaskContext, plan: Plan, signal: AbortSignal): Promise<PhaseOutcome | undefined> {
    return phaseOutcome(await this.dependencies.planRunner.run(context, plan, 2, signal));
  }

  private async ladder(context: TaskContext): Promise<Plan[]> {
    const { service, scope } = context;
    const { files, snapshots } = this.dependencies;
    const { dataDir } = this.dependencies.config;
    const candidates = new Map(rootedRuntimeFiles(service.runtimeFiles, scope, dataDir).map((file) => [file.path, file]));
    for (const root of runtimeRoots(scope, dataDir)) {
      const entries = await files.listFiles(root, { limit: 100 }).catch(() => []);
      for (const entry of entries) if (!candidates.has(entry.path)) candidates.set(entry.path, { root, path: entry.path });
    }
    const plans = ladderPlans({
      service,
      staleFiles: await findStaleFiles([...candidates.values()], files),
      dependencyUnits: scope.dependencyUnits.filter(
        (unit) => context.evidence.logs.some((line) => line.includes(unit.replace(/\.service$/, ''))) || context.findings.some((finding) => finding.includes(unit)),
      ),
      configChanges: snapshots.has(service.name) ? snapshots.diff(service.name, service.configPaths) : [],
    });
    return plans.flatMap((plan) => withinCapabilities(plan, scope.capabilities) ?? []);
  }
}
