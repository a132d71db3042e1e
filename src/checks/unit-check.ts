/** Judges a unit's state: active is healthy; failed, inactive and not-found are symptoms. */
import type { UnitStatus } from '../core/ports.js';
import type { CheckResult } from '../core/types.js';

export function evaluateUnit(checkId: string, unit: string, status: UnitStatus | undefined): CheckResult {
  const base = { checkId, type: 'unit' as const };
  if (!status) return { ...base, ok: false, symptom: 'unit_not_found', message: `${unit}: no status from the service manager` };
  const state = `${status.activeState}/${status.subState}`;
  if (status.loadState === 'not-found') return { ...base, ok: false, symptom: 'unit_not_found', message: `${unit} is not installed (not-found)` };
  switch (status.activeState) {
    case 'active':
    case 'reloading':
    case 'activating':
    case 'deactivating':
      return { ...base, ok: true, message: `${unit} is ${state}` };
    case 'failed':
      return { ...base, ok: false, symptom: 'unit_failed', detail: status.result || 'unknown', message: `${unit} failed (${describeEnd(status)})` };
    default:
      return {
        ...base,
        ok: false,
        symptom: 'unit_inactive',
        detail: status.result || 'unknown',
        message: `${unit} is ${state}${status.result && status.result !== 'success' ? ` (${describeEnd(status)})` : ''}`,
      };
  }
}

function describeEnd(status: UnitStatus): string {
  if (status.result === 'signal' || status.execMainCode === 'killed' || status.execMainCode === 'dumped') {
    return `result ${status.result}, main process ${status.execMainCode} by signal ${status.execMainStatus}`;
  }
  if (status.result === 'exit-code') return `result exit-code, status ${status.execMainStatus}`;
  return `result ${status.result}`;
}
