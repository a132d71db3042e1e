/**
 * Fleet-wide learning for phase 1: what fixed the same fault (signature) on other hosts running the same service
 * (by name, or by profile when the plan names only this service's units) becomes a candidate here. Fleet and
 * local outcomes are counted apart: a plan this host has its own record of is judged by that record alone (local
 * evidence wins when they disagree); a plan only other hosts know is judged by their outcomes together, decayed by
 * age like local ones. Pure, so the rule is easy to test.
 */
import type { CompiledService } from '../config/compiled.js';
import type { LearnedPattern } from '../core/types.js';
import { decayFactor, wilsonLowerBound } from '../learning/confidence.js';
import type { FleetPatternRow } from '../store/fleet/fleet-store.js';

/** A candidate plan; `fleet` names the hosts it was learned on when it comes from them. */
export type CandidatePattern = LearnedPattern & { fleet?: { hosts: string[] } };

/** Whether a plan learned elsewhere may run here: every unit it names is this service's or one it depends on. */
export function portable(row: Pick<FleetPatternRow, 'actions' | 'service'>, service: Pick<CompiledService, 'name' | 'unit' | 'dependsOn'>): boolean {
  if (row.service === service.name) return true;
  const units = new Set([service.unit, ...service.dependsOn].filter((unit): unit is string => Boolean(unit)));
  return row.actions.every((action) => typeof action.params.unit !== 'string' || units.has(action.params.unit));
}

/** Local patterns, plus the fleet's for plans this host has no record of, most confident first. */
export function withFleetPatterns(
  local: readonly LearnedPattern[],
  fleet: readonly FleetPatternRow[],
  context: { hostId: string; service: Pick<CompiledService, 'name' | 'unit' | 'dependsOn'>; now: number },
): CandidatePattern[] {
  const known = new Set(local.map((pattern) => pattern.planKey));
  const byPlan = new Map<string, FleetPatternRow[]>();
  for (const row of fleet) {
    if (row.host === context.hostId || known.has(row.planKey) || !portable(row, context.service)) continue;
    byPlan.set(row.planKey, [...(byPlan.get(row.planKey) ?? []), row]);
  }
  const fromFleet: CandidatePattern[] = [...byPlan.values()].map((rows) => {
    let weightedSuccesses = 0;
    let weightedFailures = 0;
    for (const row of rows) {
      const factor = decayFactor(context.now - row.lastUsed);
      weightedSuccesses += row.successes * factor;
      weightedFailures += row.failures * factor;
    }
    const first = rows[0]!;
    return {
      service: context.service.name,
      signature: first.signature,
      planKey: first.planKey,
      actions: first.actions,
      successes: rows.reduce((sum, row) => sum + row.successes, 0),
      failures: rows.reduce((sum, row) => sum + row.failures, 0),
      weightedSuccesses,
      weightedFailures,
      confidence: wilsonLowerBound(weightedSuccesses, weightedFailures),
      lastUsed: Math.max(...rows.map((row) => row.lastUsed)),
      fleet: { hosts: [...new Set(rows.map((row) => row.host))].sort() },
    };
  });
  // Local first when the confidence is the same.
  const candidates: CandidatePattern[] = [...local, ...fromFleet];
  return candidates.sort((a, b) => b.confidence - a.confidence || Number(Boolean(a.fleet)) - Number(Boolean(b.fleet)));
}
