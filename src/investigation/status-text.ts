/** A service's status as the lines unit_properties and dependency_state show. */
import type { ServiceStatus } from '../core/ports.js';

export function statusLines(status: ServiceStatus | undefined, name: string): string[] {
  if (!status) return [`${name}: the service manager gave no status`];
  return [
    `${name}: ${status.state} (load ${status.loadState || '-'}, active ${status.activeState || '-'}, sub ${status.subState || '-'}, unit file ${status.unitFileState || '-'})`,
    `last result ${status.result || '-'}, main process ${status.execMainCode || '-'} status ${status.execMainStatus}, main pid ${status.mainPid || 'none'}, restarts ${status.restarts}, type ${status.serviceType || '-'}`,
    `active since ${status.activeSince ? new Date(status.activeSince).toISOString() : '-'}`,
  ];
}
