/**
 * The built-in offline agent: no language model, only the diagnostic rules in rules.ts, calibrated and ranked.
 * It is the default backend, so phases 2 and 3 work on a host with no network and no model.
 *
 * Confidence calibration, per candidate action (findings proposing the same action are grouped; all escalations
 * form one group):
 *
 *   base      = the highest base confidence among the group's findings; each rule sets it from how specific its
 *               evidence is (a profile signature or an exact runtime-file match is worth more than a vague word)
 *   +0.10     when the group rests on two or more independent evidence kinds (unit state, logs, checks, findings
 *               of earlier phases, attempts) that agree on the action
 *   +0.15     when a learned plan containing the action has confidence >= 0.5 for this service and signature
 *   -0.20     for each attempt of this task that included the action and failed (failure, error or refused)
 *   result    clamped to [0.05, 0.95]
 *
 * An escalate verdict carries the confidence that escalation is the right call (e.g. 0.85 for permission denied,
 * 0.5 when no rule matched at all). Ranking is by score = confidence × weight, where the weight is 1 when the
 * perspective is general or the finding belongs to the perspective's domain (systems: unit state, signals,
 * resources, runtime files; application: log-derived findings; dependencies: dependency and network findings) and
 * 0.5 otherwise, so the three panel members can genuinely disagree. The reported confidence is the calibrated one,
 * not the score. Actions already tried in this task that failed are skipped unless nothing else remains.
 *
 * With a toolbox, the rules first get the read-only probes they ask for (probe-facts.ts): who listens on the port
 * a bind error names, owner and mode of a path access was denied to. Probe facts are evidence of kind "probes".
 */
import type { Agent, AgentContext, Perspective, Toolbox, Verdict } from '../agent.js';
import { AgentError, parseVerdict } from '../verdict-schema.js';
import { actionKey, escalation, failedAttempts, inadmissible, NO_FACTS, type Finding } from './finding.js';
import { RULES, runRules } from './rules.js';
import { gatherFacts } from './probe-facts.js';

export const CONFIDENCE_FLOOR = 0.05;
export const CONFIDENCE_CEILING = 0.95;
export const AGREEMENT_BONUS = 0.1;
export const LEARNED_BONUS = 0.15;
export const LEARNED_THRESHOLD = 0.5;
export const FAILURE_PENALTY = 0.2;
/** Weight of a finding outside a panel member's domain. */
export const OUTSIDE_WEIGHT = 0.5;
/** Escalation confidence when no rule matched anything. */
export const NO_MATCH_CONFIDENCE = 0.5;

/** One candidate action with its calibrated confidence and the arithmetic that produced it. */
export interface Candidate {
  key: string;
  best: Finding;
  findings: Finding[];
  confidence: number;
  failures: number;
  notes: string[];
}

/** Clamps to the calibrated range, rounded to two decimals so records read cleanly. */
export function clampConfidence(value: number): number {
  return Math.round(Math.min(CONFIDENCE_CEILING, Math.max(CONFIDENCE_FLOOR, value)) * 100) / 100;
}

/** Groups findings by action and applies the calibration formula above; order follows the first finding of each group. */
export function calibrate(context: AgentContext, findings: readonly Finding[]): Candidate[] {
  const groups = new Map<string, Finding[]>();
  for (const finding of findings) {
    const key = finding.action.type === 'escalate' ? 'escalate' : actionKey(finding.action);
    groups.set(key, [...(groups.get(key) ?? []), finding]);
  }
  return [...groups].map(([key, group]) => {
    const best = group.reduce((a, b) => (b.confidence > a.confidence ? b : a));
    let confidence = best.confidence;
    const notes = [`base ${best.confidence.toFixed(2)} (${best.rule})`];
    const kinds = new Set(group.flatMap((finding) => finding.evidence));
    if (kinds.size >= 2) {
      confidence += AGREEMENT_BONUS;
      notes.push(`+${AGREEMENT_BONUS} independent signals agree (${[...kinds].join(', ')})`);
    }
    const failures = key === 'escalate' ? 0 : failedAttempts(context, best.action);
    if (key !== 'escalate') {
      const learned = context.learned.find((pattern) => pattern.confidence >= LEARNED_THRESHOLD && pattern.plan.split(' + ').includes(key));
      if (learned) {
        confidence += LEARNED_BONUS;
        notes.push(`+${LEARNED_BONUS} learned: ${learned.successes} success(es), confidence ${learned.confidence.toFixed(2)}`);
      }
      if (failures > 0) {
        confidence -= FAILURE_PENALTY * failures;
        notes.push(`-${(FAILURE_PENALTY * failures).toFixed(1)} already failed ${failures} time(s) in this task`);
      }
    }
    return { key, best, findings: group, confidence: clampConfidence(confidence), failures, notes };
  });
}

/** How much a perspective weighs a candidate: fully inside its domain (or for general), half outside it. */
export function perspectiveWeight(perspective: Perspective, candidate: Candidate): number {
  if (perspective === 'general') return 1;
  return candidate.findings.some((finding) => finding.perspectives.includes(perspective)) ? 1 : OUTSIDE_WEIGHT;
}

/** The offline diagnostic engine behind the Agent port: deterministic, explainable, and confined to the catalog. */
export class HeuristicAgent implements Agent {
  readonly name = 'heuristic';

  async diagnose(context: AgentContext, perspective: Perspective, signal: AbortSignal, tools?: Toolbox): Promise<Verdict> {
    if (signal.aborted) throw new AgentError('timeout', 'heuristic diagnosis aborted before it started');
    const facts = tools ? await gatherFacts(context, RULES, tools, signal) : NO_FACTS;
    const { findings, errors } = runRules(context, RULES, facts);
    const admissible = findings.filter((finding) => inadmissible(context, finding.action) === null);
    const rejected = findings.filter((finding) => inadmissible(context, finding.action) !== null);
    const errorNote = errors.length > 0 ? ` Rules that failed to evaluate: ${errors.join('; ')}.` : '';
    const candidates = calibrate(context, admissible);
    if (candidates.length === 0) {
      const best = rejected.sort((a, b) => b.confidence - a.confidence)[0];
      const reason = best
        ? `heuristic rules suggest ${actionKey(best.action)}, which is not allowed here (${inadmissible(context, best.action)})`
        : `no heuristic rule matched ${context.task.symptom} on ${context.service.unit}`;
      return parseVerdict({
        diagnosis: best ? `heuristic rules: ${best.diagnosis}; its remedy is not available` : `heuristic rules: no rule matched: ${context.task.message}`,
        symptomClass: best?.symptomClass ?? context.task.symptom,
        action: escalation(reason),
        confidence: best ? 0.6 : NO_MATCH_CONFIDENCE,
        rationale: `${best ? "The only remedies found are outside this task's catalog." : 'None of the heuristic rules recognised the evidence; a human should look.'}${errorNote}`,
      });
    }
    const untried = candidates.filter((candidate) => candidate.failures === 0);
    const pool = untried.length > 0 ? untried : candidates;
    const ranked = pool
      .map((candidate, index) => ({ candidate, index, score: candidate.confidence * perspectiveWeight(perspective, candidate) }))
      .sort((a, b) => b.score - a.score || b.candidate.confidence - a.candidate.confidence || a.index - b.index);
    const chosen = ranked[0]!.candidate;
    const others = ranked.slice(1, 4).map(({ candidate, score }) => `${candidate.key} (${candidate.confidence.toFixed(2)}, score ${score.toFixed(2)})`);
    const skipped = candidates.filter((candidate) => candidate.failures > 0 && untried.length > 0).map((candidate) => candidate.key);
    const rationale = [
      chosen.best.rationale,
      `Calibration: ${chosen.notes.join('; ')} = ${chosen.confidence.toFixed(2)}.`,
      `Perspective ${perspective}${perspectiveWeight(perspective, chosen) < 1 ? ' (outside its domain, weight 0.5)' : ''}.`,
      others.length > 0 ? `Also considered: ${others.join(', ')}.` : '',
      skipped.length > 0 ? `Skipped as already failed: ${skipped.join(', ')}.` : '',
      errorNote.trim(),
    ]
      .filter((part) => part !== '')
      .join(' ');
    return parseVerdict({
      diagnosis: `heuristic rules (${chosen.best.rule}): ${chosen.best.diagnosis}`.slice(0, 4000),
      symptomClass: chosen.best.symptomClass.slice(0, 80),
      action: chosen.best.action,
      confidence: chosen.confidence,
      rationale: rationale.slice(0, 4000),
    });
  }
}
