/**
 * Shared vocabulary of the heuristic rules: what a rule returns (a finding), what evidence it rests on, and the
 * helpers every rule needs to stay inside the task's catalog (admissible actions only, escalate otherwise).
 * Log text is untrusted: rules only ever match it against fixed patterns and never copy an action from it.
 */
import type { AgentContext, Perspective, ProposedAction } from '../agent.js';
import { validateAction } from '../../actions/catalog.js';
import { actionDefinition } from '../../actions/definitions/index.js';
import { catalogPaths, isSafeRuntimePath } from './paths.js';
import type { ListenerFact, PathFact } from '../../investigation/tool.js';

/** Where a finding's evidence comes from; two different kinds agreeing on one action count as independent signals. */
export type EvidenceKind = 'unit' | 'logs' | 'checks' | 'findings' | 'attempts' | 'probes';

/** What the agent's own read-only probes found for this diagnosis (nothing when it has no toolbox). */
export interface ProbeFacts {
  /** Ports the listeners probe answered for (with or without listeners). */
  probedPorts: number[];
  listeners: ListenerFact[];
  paths: PathFact[];
}

export const NO_FACTS: ProbeFacts = Object.freeze({ probedPorts: [], listeners: [], paths: [] }) as ProbeFacts;

/** A probe a rule would use, given the evidence: a tool name and its input. */
export type ProbeRequest = { tool: 'listeners'; input: { port: number } } | { tool: 'path_info'; input: { path: string } };

/** One candidate verdict from one rule: an action and why, with a base confidence from how specific the evidence is. */
export interface Finding {
  rule: string;
  symptomClass: string;
  diagnosis: string;
  action: ProposedAction;
  /** Base confidence in [0, 1]: for escalate, the confidence that escalation is right. */
  confidence: number;
  rationale: string;
  /** Panel perspectives whose domain this evidence belongs to (general weighs every finding alike). */
  perspectives: Perspective[];
  evidence: EvidenceKind[];
}

/** A diagnostic rule: a small pure function over the context. */
export interface Rule {
  id: string;
  /** What the rule recognises, for documentation and records. */
  summary: string;
  /** Read-only probes the rule would like answered for this context (run by the agent when it has a toolbox). */
  wants?(context: AgentContext): ProbeRequest[];
  evaluate(context: AgentContext, facts: ProbeFacts): Finding[];
}

/** Outcomes that mean an attempt did not fix the problem (or was not allowed to run). */
const FAILED_OUTCOMES = new Set(['failure', 'error', 'refused']);

/** The canonical key of one action, in the same form as the store's plan keys: `type(k=v,...)` with sorted keys. */
export function actionKey(action: ProposedAction): string {
  const params = Object.keys(action.params)
    .sort()
    .map((key) => `${key}=${String(action.params[key])}`)
    .join(',');
  return `${action.type}(${params})`;
}

/** How many attempts of this task included this action and failed: repeating them is the definition of insanity. */
export function failedAttempts(context: AgentContext, action: ProposedAction): number {
  const key = actionKey(action);
  return context.attempts.filter((attempt) => attempt.outcome !== null && FAILED_OUTCOMES.has(attempt.outcome) && attempt.plan.split(' + ').includes(key)).length;
}

/**
 * Why an action may not be proposed for this task, or null when it may: the catalog must offer its type, its
 * parameters must parse, units must be the task's own unit (or a declared dependency for restart_dependency), and
 * paths must be runtime files or directories the catalog names. Escalation is always admissible.
 */
export function inadmissible(context: AgentContext, action: ProposedAction): string | null {
  if (action.type === 'escalate') return null;
  const entry = context.catalog.find((candidate) => candidate.type === action.type);
  if (!entry) return `${action.type} is not in this task's catalog`;
  const validated = validateAction(action);
  if (!validated.ok) return validated.error;
  const unit = action.params.unit;
  if (actionDefinition(action.type)?.ownUnit && unit !== context.service.unit) return `${String(unit)} is not ${context.service.name}'s unit`;
  if (action.type === 'restart_dependency' && !context.service.dependencies.includes(String(unit))) return `${String(unit)} is not a dependency`;
  const named = catalogPaths(entry);
  if (action.type === 'remove_stale_file') {
    const path = String(action.params.path);
    if (!isSafeRuntimePath(path, context.service.runtimeFiles, context.service.runtimeDirectories)) return `${path} is not a runtime file of ${context.service.name}`;
    if (named.length > 0 && !named.some((allowed) => path === allowed || path.startsWith(`${allowed}/`))) return `the catalog does not offer ${path}`;
  }
  if (action.type === 'clean_directory' && !named.includes(String(action.params.path))) return `the catalog does not offer ${String(action.params.path)}`;
  if (action.type === 'run_playbook' && !`${entry.description} ${Object.values(entry.params).join(' ')}`.includes(String(action.params.name))) {
    return `the catalog does not offer playbook ${String(action.params.name)}`;
  }
  return null;
}

/** An escalation, with its reason capped to the schema's limit. */
export function escalation(reason: string): ProposedAction {
  return { type: 'escalate', params: { reason: reason.length > 1900 ? `${reason.slice(0, 1900)}…` : reason } };
}

/** One option of a rule, in order of preference. */
export interface Option {
  action: ProposedAction;
  confidence: number;
  note?: string;
}

/**
 * Turns a rule's ordered options into findings: every admissible option (so the agent can fall back past one that
 * already failed), or, when none is admissible, one escalation carrying `escalate.confidence`.
 */
export function findingsFor(context: AgentContext, base: Omit<Finding, 'action' | 'confidence'>, options: Option[], escalate: { confidence: number; reason: string }): Finding[] {
  const findings: Finding[] = [];
  for (const option of options) {
    if (inadmissible(context, option.action) !== null) continue;
    findings.push({ ...base, action: option.action, confidence: option.confidence, rationale: option.note ? `${base.rationale} ${option.note}` : base.rationale });
  }
  if (findings.length > 0) return findings;
  const refused = options.map((option) => `${actionKey(option.action)}: ${inadmissible(context, option.action)}`).join('; ');
  return [
    {
      ...base,
      action: escalation(escalate.reason),
      confidence: escalate.confidence,
      rationale: `${base.rationale} ${escalate.reason}${refused ? ` (not available: ${refused})` : ''}`,
    },
  ];
}

/** Restart the task's own unit, or start it when only start_unit is offered (never both: they are the same remedy). */
export function restartOptions(context: AgentContext, confidence: number, note?: string): Option[] {
  const unit = context.service.unit;
  const type = context.catalog.some((entry) => entry.type === 'restart_unit') ? 'restart_unit' : 'start_unit';
  return [{ action: { type, params: { unit } }, confidence: type === 'restart_unit' ? confidence : confidence - 0.05, note }];
}

/** Log lines matching a pattern, plus lines the profile's known signatures of these classes matched. */
export function evidenceLines(context: AgentContext, pattern: RegExp | null, signatureClasses: readonly string[]): { lines: string[]; bySignature: boolean } {
  const fromSignatures = context.knownSignatures.filter((signature) => signatureClasses.includes(signature.symptom)).map((signature) => signature.line);
  const fromLogs = pattern ? context.logs.filter((line) => pattern.test(line)) : [];
  return { lines: [...new Set([...fromSignatures, ...fromLogs])], bySignature: fromSignatures.length > 0 };
}

/** The profile's hints for these signature classes, to pass on to the operator. */
export function hintsFor(context: AgentContext, signatureClasses: readonly string[]): string {
  const hints = [...new Set(context.knownSignatures.filter((signature) => signatureClasses.includes(signature.symptom)).map((signature) => signature.hint))];
  return hints.length > 0 ? ` Profile hint: ${hints.join(' ')}` : '';
}

/** A log line shortened for a diagnosis (it is already sanitised; this only keeps records readable). */
export function quote(line: string): string {
  const trimmed = line.trim();
  return JSON.stringify(trimmed.length > 160 ? `${trimmed.slice(0, 160)}…` : trimmed);
}

/** Whether the unit is running now (unknown state counts as not active only for failure symptoms). */
export function unitActive(context: AgentContext): boolean {
  if (context.unit) return context.unit.activeState === 'active' || context.unit.activeState === 'reloading';
  return context.task.symptom !== 'unit_failed' && context.task.symptom !== 'unit_inactive';
}
