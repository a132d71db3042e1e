/**
 * Phase 2's recovery ladder, from gentle to drastic. Each level is a plan, verified on its own; levels already
 * tried on this task are skipped.
 *   L1 restart · L2 clear stale runtime state and start · L3 kill the process tree, reset-failed, start ·
 *   L4 restart the dependencies, then the service · L5 restore the last-known-good configuration and restart.
 */
import type { CompiledService } from '../config/compiled.js';
import type { Action, Plan } from '../core/types.js';
import type { StaleFile } from '../actions/stale-files.js';
import type { ConfigChange } from '../store/config-snapshots.js';

export interface LadderInputs {
  service: CompiledService;
  staleFiles: readonly StaleFile[];
  /** Dependencies implicated by the evidence (a healthy dependency other services use is not restarted blindly). */
  dependencyUnits: readonly string[];
  /** Differences between the configuration and its last-known-good snapshot (empty: nothing to restore). */
  configChanges: readonly ConfigChange[];
}

export function ladderPlans(inputs: LadderInputs): Plan[] {
  const { service } = inputs;
  const unit = { unit: service.unit };
  const plans: Plan[] = [{ actions: [{ type: 'restart_unit', params: unit }], source: 'ladder', reason: `ladder L1: restart ${service.unit}` }];
  if (inputs.staleFiles.length > 0) {
    plans.push({
      actions: [...inputs.staleFiles.map((file): Action => ({ type: 'remove_stale_file', params: { path: file.path } })), { type: 'start_unit', params: unit }],
      source: 'ladder',
      reason: `ladder L2: clear stale runtime state (${inputs.staleFiles.map((file) => `${file.path}: ${file.reason}`).join(', ')}) and start`,
    });
  }
  plans.push({
    actions: [
      { type: 'kill_process_tree', params: unit },
      { type: 'reset_failed', params: unit },
      { type: 'start_unit', params: unit },
    ],
    source: 'ladder',
    reason: `ladder L3: kill every process of ${service.unit}, reset-failed, start`,
  });
  if (inputs.dependencyUnits.length > 0) {
    plans.push({
      actions: [...inputs.dependencyUnits.map((dependency): Action => ({ type: 'restart_dependency', params: { unit: dependency } })), { type: 'restart_unit', params: unit }],
      source: 'ladder',
      reason: `ladder L4: restart the dependencies (${inputs.dependencyUnits.join(', ')}), then ${service.unit}`,
    });
  }
  if (inputs.configChanges.length > 0) {
    plans.push({
      actions: [
        { type: 'restore_config', params: unit },
        { type: 'restart_unit', params: unit },
      ],
      source: 'ladder',
      reason: `ladder L5: the configuration differs from its last-known-good snapshot (${inputs.configChanges
        .slice(0, 5)
        .map((change) => `${change.change} ${change.path}`)
        .join(', ')}): restore it and restart`,
    });
  }
  return plans;
}
