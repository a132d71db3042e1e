/** What a plan's result means for the phase that tried it: end it (fixed, held, escalate) or go on. */
import type { PlanResult } from './plan-runner.js';
import type { PhaseOutcome } from './phase.js';

/** What a policy refusal means for a phase: wait (paused, silenced, operator intent, dry run) or hand over (budget, autonomy off). */
export function refusalOutcome(reason: string, message: string): PhaseOutcome | undefined {
  if (reason === 'paused' || reason === 'silenced') return { kind: 'held', status: 'open', reason: message };
  if (reason === 'autonomy_off') return { kind: 'escalate', reason: message };
  if (reason === 'operator_intent' || reason === 'dry_run') return { kind: 'held', status: 'ignored', reason: message };
  if (reason === 'budget' || reason === 'rate_limit') return { kind: 'escalate', reason: message };
  return undefined;
}

/** The phase outcome a plan result forces, or undefined when the phase should try its next plan. */
export function phaseOutcome(result: PlanResult): PhaseOutcome | undefined {
  switch (result.status) {
    case 'fixed':
      return { kind: 'fixed', attempt: result.attempt };
    case 'escalate_now':
      return { kind: 'escalate', reason: result.reason };
    case 'refused':
      return refusalOutcome(result.refusal.reason, result.refusal.message);
    case 'failed':
      return undefined;
  }
}
