/** Judges a service's state: running or starting is healthy; failed, stopped and missing are symptoms. */
import type { ServiceStatus } from '../core/ports.js';
import type { CheckResult } from '../core/types.js';

export function evaluateUnit(checkId: string, unit: string, status: ServiceStatus | undefined): CheckResult {
  const base = { checkId, type: 'unit' as const };
  if (!status) return { ...base, ok: false, symptom: 'unit_not_found', message: `${unit}: no status from the service manager` };
  const state = `${status.activeState}/${status.subState}`;
  switch (status.state) {
    case 'missing':
      return { ...base, ok: false, symptom: 'unit_not_found', message: `${unit} is not installed (${status.loadState || 'missing'})` };
    case 'running':
    case 'starting':
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

function describeEnd(status: ServiceStatus): string {
  if (status.result === 'signal' || status.execMainCode === 'killed' || status.execMainCode === 'dumped') {
    return `result ${status.result}, main process ${status.execMainCode} by signal ${status.execMainStatus}`;
  }
  if (status.result === 'exit-code') return `result exit-code, status ${status.execMainStatus}`;
  return `result ${status.result}`;
}
