/**
 * Asks an agent for a verdict and judges it: the verdict (or why there was none) is recorded with the task, a
 * proposal outside the catalog or the task's scope is recorded as a security event, and the caller gets either
 * an executable plan or nothing.
 */
import type { CompiledConfig } from '../config/compiled.js';
import type { Clock } from '../core/ports.js';
import type { Action, Phase } from '../core/types.js';
import type { Logger } from '../core/logger.js';
import type { Stores } from '../store/stores.js';
import type { Agent, AgentContext, Perspective, Toolbox, Verdict } from '../agents/agent.js';
import { AgentError } from '../agents/verdict-schema.js';
import { judgeProposal } from './proposals.js';
import type { TaskContext } from './phase.js';

export type AskResult =
  | { kind: 'action'; verdict: Verdict; action: Action }
  | { kind: 'escalate'; verdict: Verdict }
  | { kind: 'rejected'; verdict: Verdict; reason: string }
  | { kind: 'none'; reason: string };

export interface VerdictDependencies {
  stores: Stores;
  config: CompiledConfig;
  clock: Clock;
  logger: Logger;
}

export async function askAgent(
  dependencies: VerdictDependencies,
  context: TaskContext,
  agent: Agent,
  agentContext: AgentContext,
  perspective: Perspective,
  phase: Phase,
  signal: AbortSignal,
  tools?: Toolbox,
): Promise<AskResult> {
  const { stores, config, clock, logger } = dependencies;
  const record = (verdict: Verdict | null, error: string | null, accepted: boolean, reason: string) => {
    const note = `${reason}${probesNote(tools)}`;
    stores.verdicts.record({ taskId: context.task.id, phase, agent: agent.name, perspective, verdict, error, accepted, note, createdAt: clock.now() });
  };
  let verdict: Verdict;
  try {
    verdict = await agent.diagnose(agentContext, perspective, signal, tools);
  } catch (error) {
    const reason = error instanceof AgentError ? `${error.kind}: ${error.message}` : `agent error: ${(error as Error).message}`;
    record(null, reason.slice(0, 2000), false, 'no verdict');
    if (error instanceof AgentError && error.kind === 'too_large') {
      stores.verdicts.recordSecurityEvent({ taskId: context.task.id, agent: agent.name, kind: 'oversized_reply', detail: reason.slice(0, 500), createdAt: clock.now() });
    }
    logger.warn({ task: context.task.id, agent: agent.name, perspective, reason }, 'agent gave no verdict');
    return { kind: 'none', reason };
  }
  if (verdict.action.type === 'escalate') {
    record(verdict, null, true, 'proposes escalation');
    return { kind: 'escalate', verdict };
  }
  const judgement = judgeProposal(verdict.action, context.scope, config);
  if (!judgement.ok) {
    record(verdict, null, false, `rejected (${judgement.kind}): ${judgement.detail}`);
    stores.verdicts.recordSecurityEvent({
      taskId: context.task.id,
      agent: agent.name,
      kind: judgement.kind,
      detail: `${perspective} proposed ${JSON.stringify(verdict.action).slice(0, 300)}: ${judgement.detail}`,
      createdAt: clock.now(),
    });
    logger.warn({ task: context.task.id, agent: agent.name, perspective, kind: judgement.kind, detail: judgement.detail }, 'security: agent proposal rejected');
    return { kind: 'rejected', verdict, reason: `${judgement.kind}: ${judgement.detail}` };
  }
  record(verdict, null, true, 'valid proposal');
  return { kind: 'action', verdict, action: judgement.action };
}

/** Which probes the agent ran, for the verdict's record ('' when none). */
function probesNote(tools: Toolbox | undefined): string {
  if (!tools || tools.calls.length === 0) return '';
  const names = tools.calls.map((call) => `${call.name}${call.refused ? ' (refused)' : ''}`);
  return `; probes: ${names.join(', ')}`.slice(0, 300);
}

/** One line per verdict, for findings and escalations. */
export function describeVerdict(perspective: string, agentName: string, result: AskResult): string {
  switch (result.kind) {
    case 'none':
      return `${perspective} (${agentName}): no verdict — ${result.reason}`;
    case 'rejected':
      return `${perspective} (${agentName}): proposal rejected — ${result.reason}; diagnosis: ${result.verdict.diagnosis}`;
    default:
      return `${perspective} (${agentName}): ${result.kind === 'escalate' ? 'escalate' : `${result.action.type} ${JSON.stringify(result.action.params)}`} at confidence ${result.verdict.confidence.toFixed(2)} — ${result.verdict.diagnosis}`;
  }
}
