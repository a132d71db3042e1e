/**
 * Phase 3, consensus (5 min budget): three agents with different perspectives (systems; application and logs;
 * dependencies and network) diagnose the same context in parallel. Votes are tallied on the canonical action;
 * a quorum (2 of 3 by default) acts and is verified; no quorum, or a failed fix, escalates with every verdict.
 */
import type { CompiledConfig } from '../config/compiled.js';
import type { Clock } from '../core/ports.js';
import type { Logger } from '../core/logger.js';
import type { Stores } from '../store/stores.js';
import type { ConfigSnapshots } from '../store/config-snapshots.js';
import type { Agent, Perspective, Toolbox } from '../agents/agent.js';
import { buildAgentContext } from './agent-context.js';
import { tallyVotes } from '../agents/vote-tally.js';
import { actionKey } from '../actions/catalog.js';
import type { PlanRunner } from './plan-runner.js';
import type { PhaseOutcome, RemediationPhase, TaskContext } from './phase.js';
import { askAgent, describeVerdict, type AskResult } from './agent-verdicts.js';
import { planFor, withinCapabilities } from './proposals.js';
import { phaseOutcome } from './plan-outcome.js';

export const PANEL: readonly Perspective[] = ['systems', 'application', 'dependencies'];
const ESCALATE_KEY = 'escalate()';

export interface ConsensusDependencies {
  config: CompiledConfig;
  stores: Stores;
  planRunner: PlanRunner;
  agents: Readonly<Record<'systems' | 'application' | 'dependencies', Agent>>;
  snapshots: ConfigSnapshots;
  clock: Clock;
  logger: Logger;
  /** The task's read-only investigation tools; each panel member gets its own toolbox (and budget). */
  tools?: (context: TaskContext) => Toolbox;
}

export class ConsensusPhase implements RemediationPhase {
  readonly phase = 3 as const;
  readonly name = 'consensus';
  readonly timeoutMs: number;

  constructor(private readonly dependencies: ConsensusDependencies) {
    this.timeoutMs = dependencies.config.phases.consensus.timeoutMs;
  }

  async run(context: TaskContext, signal: AbortSignal): Promise<PhaseOutcome> {
    const { config, stores, agents, snapshots, clock } = this.dependencies;
    const { service, task } = context;
    if (!service.unit) return { kind: 'escalate', reason: 'phase 3 has nothing to vote on for a host-level issue' };
    const agentContext = buildAgentContext(context, {
      config,
      learned: stores.patterns.lookup(service.name, task.signature, clock.now()),
      hasSnapshot: snapshots.has(service.name),
    });
    const results = await Promise.all(
      PANEL.map(async (perspective) => ({
        perspective,
        result: await askAgent(this.dependencies, context, agents[perspective as keyof typeof agents], agentContext, perspective, 3, signal, this.dependencies.tools?.(context)),
      })),
    );
    const lines = results.map(({ perspective, result }) => describeVerdict(perspective, agents[perspective as keyof typeof agents].name, result));
    context.findings.push(...lines.map((line) => `phase 3 ${line}`));
    const tally = tallyVotes(
      results.map(({ perspective, result }) => ({ perspective, key: voteKey(result) })),
      config.phases.consensus.quorum,
    );
    if (tally.decision === 'no_quorum') {
      return { kind: 'escalate', reason: `phase 3: no ${config.phases.consensus.quorum}-of-${PANEL.length} agreement (${describeCounts(tally.counts)})` };
    }
    if (tally.key === ESCALATE_KEY) return { kind: 'escalate', reason: `phase 3: ${tally.supporters.join(' and ')} agree a human is needed` };
    const winner = results.find(({ result }) => voteKey(result) === tally.key)!.result as Extract<AskResult, { kind: 'action' }>;
    const proposed = planFor(winner.action, service, 'consensus', `consensus of ${tally.supporters.join(' and ')}: ${winner.verdict.diagnosis}`);
    const plan = withinCapabilities(proposed, context.scope.capabilities) ?? proposed;
    if (service.autonomy === 'shadow') {
      this.dependencies.planRunner.recordShadow(context, plan, 3);
      return { kind: 'escalate', reason: `shadow mode: phases 2 and 3 proposed fixes without acting (consensus: ${tally.key})` };
    }
    const result = await this.dependencies.planRunner.run(context, plan, 3, signal);
    const outcome = phaseOutcome(result);
    if (outcome) return outcome;
    const detail = result.status === 'failed' ? result.attempt.detail : result.status === 'refused' ? result.refusal.message : '';
    return { kind: 'escalate', reason: `phase 3: the agreed action ${tally.key} was not verified: ${detail}` };
  }
}

/** The canonical vote of one verdict: its action's key, escalate, or no vote. */
function voteKey(result: AskResult): string | null {
  if (result.kind === 'action') return actionKey(result.action);
  if (result.kind === 'escalate') return ESCALATE_KEY;
  return null;
}

function describeCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length === 0 ? 'no valid votes' : entries.map(([key, count]) => `${key} × ${count}`).join(', ');
}
