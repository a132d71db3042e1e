/**
 * The heuristic agent's own investigation: each rule says which read-only probes would settle its evidence (who
 * listens on the port a bind error names, owner and mode of a path access was denied to), and the agent runs them
 * through the task's toolbox (scoped, budgeted) before the rules decide. Only typed facts are used, never the text.
 */
import type { AgentContext, Toolbox } from '../agent.js';
import { NO_FACTS, type ProbeFacts, type ProbeRequest, type Rule } from './finding.js';

/** At most this many probes per diagnosis: the rules ask for a port or a few paths. */
const MAX_PROBES = 4;

export async function gatherFacts(context: AgentContext, rules: readonly Rule[], tools: Toolbox, signal: AbortSignal): Promise<ProbeFacts> {
  const requests = new Map<string, ProbeRequest>();
  for (const rule of rules) {
    let wanted: ProbeRequest[] = [];
    try {
      wanted = rule.wants?.(context) ?? [];
    } catch {
      // A rule that cannot say what it wants simply decides without probes (runRules reports its errors).
    }
    for (const request of wanted) requests.set(`${request.tool} ${JSON.stringify(request.input)}`, request);
  }
  if (requests.size === 0) return NO_FACTS;
  const facts: ProbeFacts = { probedPorts: [], listeners: [], paths: [] };
  for (const request of [...requests.values()].slice(0, MAX_PROBES)) {
    if (signal.aborted) break;
    const result = await tools.run(request.tool, request.input, signal);
    if (result.refused || result.failed) continue;
    if (request.tool === 'listeners') facts.probedPorts.push(request.input.port);
    for (const fact of result.facts) {
      if (fact.type === 'listener') facts.listeners.push(fact);
      else facts.paths.push(fact);
    }
  }
  return facts;
}
