/**
 * Which service a task acts on and what its actions may touch (its ExecutionScope). One place, so the pipeline
 * (before phases run) and a human's `resolve --fix` (before the fix is recorded and learned) judge an action
 * against the same scope.
 */
import type { CompiledConfig, CompiledService } from '../config/compiled.js';
import { adapterOf, type ServiceAdapter } from '../core/ports.js';
import { discoveredService } from '../config/compile.js';
import { HOST_SERVICE } from '../checks/host-checks.js';
import type { ExecutionScope } from './scope.js';

/** The host's own checks (disk, inodes, memory): no unit; only host-wide actions are in scope. */
export const HOST_PSEUDO_SERVICE: CompiledService = Object.freeze({
  name: HOST_SERVICE,
  unit: '',
  adapter: 'systemd',
  dependsOn: [],
  runtimeFiles: [],
  checks: [],
  configPaths: [],
  playbooks: {},
  autonomy: 'act',
  labels: Object.freeze({ service: HOST_SERVICE }),
  discovered: false,
});

/** The configured (or, for a failed unit the daemon found, discovered) service of a task; undefined when gone. */
export function serviceOfTask(config: CompiledConfig, task: { service: string; unit: string | null }): CompiledService | undefined {
  if (task.service === HOST_SERVICE) return HOST_PSEUDO_SERVICE;
  return config.services.find((service) => service.name === task.service) ?? (task.unit ? discoveredService(task.unit, config.autonomy) : undefined);
}

export interface ScopeSources {
  /** The service manager, asked for the unit's declared dependencies and runtime directories; without it, only the config counts. */
  adapter?: ServiceAdapter;
  /** A managed service by unit, for the config test of a dependency. */
  serviceByUnit: (unit: string) => CompiledService | undefined;
  signal?: AbortSignal;
}

/** The scope of a service: its unit, its dependencies (configured and declared), its runtime directories. */
export async function scopeOf(service: CompiledService, sources: ScopeSources): Promise<ExecutionScope> {
  const { signal } = sources;
  const adapter = sources.adapter && service.unit ? adapterOf(sources.adapter, service.unit) : sources.adapter;
  const declared = service.unit && adapter?.dependencies ? await adapter.dependencies(service.unit, signal).catch(() => [] as string[]) : [];
  const runtime = service.unit && adapter?.runtimePaths ? await adapter.runtimePaths(service.unit, signal).catch(() => ({ directories: [] as string[] })) : { directories: [] };
  const dependencyUnits = [...new Set([...service.dependsOn, ...declared])].filter((unit) => unit !== service.unit);
  return {
    service,
    dependencyUnits,
    runtimeDirectories: runtime.directories,
    configTestFor: (unit) => sources.serviceByUnit(unit)?.configTest,
    capabilities: adapter?.capabilities,
  };
}
