/**
 * Phase 1's candidate plans, in order: learned patterns above the confidence threshold, then what the service's
 * dependencies and profile say (a dependency down, stale runtime files), then a generic restart. Host issues
 * get allow-listed cleanups. Pure over what it is given, so the order is easy to test.
 */
import type { CompiledConfig, CompiledService } from '../config/compiled.js';
import type { LearnedPattern, Plan, Task } from '../core/types.js';
import type { StaleFile } from '../actions/stale-files.js';

export interface PlanInputs {
  task: Task;
  service: CompiledService;
  /** `fleet`: learned on these other hosts (fleet-wide learning), not here. */
  patterns: ReadonlyArray<LearnedPattern & { fleet?: { hosts: readonly string[] } }>;
  minConfidence: number;
  /** Dependencies that are not active right now. */
  downDependencies: readonly string[];
  staleFiles: readonly StaleFile[];
  restartAttempts: number;
  cleanup: CompiledConfig['host']['cleanup'];
  /** Whether the unit is failed (then start after clearing state; otherwise restart). */
  unitFailed: boolean;
}

export function quickFixPlans(inputs: PlanInputs): Plan[] {
  const { task, service } = inputs;
  const plans: Plan[] = [];
  for (const pattern of inputs.patterns) {
    if (pattern.confidence < inputs.minConfidence) continue;
    plans.push({
      actions: pattern.actions,
      source: 'learned',
      reason: pattern.fleet
        ? `learned on ${pattern.fleet.hosts.join(', ')}: fixed "${task.signature}" there ${pattern.successes} of ${pattern.successes + pattern.failures} times (fleet confidence ${pattern.confidence.toFixed(2)}; none here yet)`
        : `learned: fixed "${task.signature}" on ${service.name} ${pattern.successes} of ${pattern.successes + pattern.failures} times (confidence ${pattern.confidence.toFixed(2)})`,
    });
  }
  if (task.symptom === 'disk_full' || task.symptom === 'inodes_full') {
    for (const entry of inputs.cleanup) {
      plans.push({
        actions: [{ type: 'clean_directory', params: { path: entry.path, olderThanMs: entry.olderThanMs } }],
        source: 'profile',
        reason: `${task.checkId} is full: clean allow-listed ${entry.path} of files older than ${Math.round(entry.olderThanMs / 60_000)} min`,
      });
    }
    return plans;
  }
  if (!service.unit) return plans;
  for (const dependency of inputs.downDependencies) {
    plans.push({
      actions: [{ type: 'restart_dependency', params: { unit: dependency } }],
      source: 'dependency',
      reason: `${service.name} depends on ${dependency}, which is down: restart the dependency, not the service`,
    });
  }
  if (inputs.staleFiles.length > 0) {
    plans.push({
      actions: [
        ...inputs.staleFiles.map((file) => ({ type: 'remove_stale_file' as const, params: { path: file.path } })),
        { type: inputs.unitFailed ? ('start_unit' as const) : ('restart_unit' as const), params: { unit: service.unit } },
      ],
      source: 'profile',
      reason: `stale runtime state blocks ${service.unit}: ${inputs.staleFiles.map((file) => `${file.path} (${file.reason})`).join(', ')}`,
    });
  }
  for (let attempt = 0; attempt < inputs.restartAttempts; attempt++) {
    plans.push({
      actions: [{ type: 'restart_unit', params: { unit: service.unit } }],
      source: 'generic',
      reason: attempt === 0 ? `${task.message}: restart ${service.unit}` : `restart ${service.unit} again after backoff (try ${attempt + 1})`,
    });
  }
  return plans;
}
