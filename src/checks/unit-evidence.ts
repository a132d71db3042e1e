/** The part of a service's status kept as evidence on a task: the neutral state and the adapter's detail. */
import type { ServiceStatus } from '../core/ports.js';
import type { Evidence } from '../core/types.js';

export function unitEvidence(name: string, status: ServiceStatus): NonNullable<Evidence['unit']> {
  return {
    name,
    state: status.state,
    activeState: status.activeState,
    subState: status.subState,
    result: status.result,
    execMainStatus: status.execMainStatus,
    execMainCode: status.execMainCode,
    unitFileState: status.unitFileState,
  };
}
