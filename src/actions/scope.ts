/**
 * What a task's actions may touch: its own unit, its dependencies, its runtime files and directories, the
 * allow-listed cleanup paths, its named playbooks. Pure, so a proposal can be judged before anything runs
 * (and an out-of-scope proposal recorded as a security event), and the executor checks it again.
 */
import path from 'node:path';
import type { CompiledConfig, CompiledService } from '../config/compiled.js';
import type { Action } from '../core/types.js';

export interface ExecutionScope {
  service: CompiledService;
  /** Units the service depends on, which restart_dependency may touch. */
  dependencyUnits: readonly string[];
  /** Runtime directories systemd manages for the unit (RuntimeDirectory=, the PIDFile='s directory). */
  runtimeDirectories: readonly string[];
  /** Config tests of dependency units that are managed services. */
  configTestFor: (unit: string) => readonly string[] | undefined;
}

const OWN_UNIT_ACTIONS = new Set(['restart_unit', 'start_unit', 'reload_unit', 'reset_failed', 'resume_process', 'kill_process_tree', 'restore_config']);

/** Directories under which stale runtime files of this service may be removed. */
export function runtimeRoots(scope: ExecutionScope): string[] {
  const { service } = scope;
  return [...new Set([...(service.profile?.runtimeDirs ?? []), ...scope.runtimeDirectories, ...service.runtimeFiles.map((file) => path.dirname(file))])].filter(
    (directory) => directory !== '/' && directory !== '/run' && directory !== '/var/run' && directory !== '/tmp',
  );
}

/** Returns why the action is outside the task's scope, or undefined when it is inside. */
export function scopeViolation(action: Action, scope: ExecutionScope, config: CompiledConfig): string | undefined {
  const { service } = scope;
  const unit = action.params.unit;
  if (OWN_UNIT_ACTIONS.has(action.type)) {
    return unit === service.unit ? undefined : `${String(unit)} is not the unit of ${service.name} (${service.unit})`;
  }
  switch (action.type) {
    case 'restart_dependency':
      return scope.dependencyUnits.includes(String(unit)) ? undefined : `${String(unit)} is not a dependency of ${service.name}`;
    case 'remove_stale_file': {
      const file = String(action.params.path);
      if (service.runtimeFiles.includes(file)) return undefined;
      return runtimeRoots(scope).some((root) => file.startsWith(`${root}/`)) ? undefined : `${file} is not a runtime file of ${service.name}`;
    }
    case 'clean_directory':
      return config.host.cleanup.some((entry) => entry.path === action.params.path) ? undefined : `${String(action.params.path)} is not an allow-listed cleanup directory`;
    case 'run_playbook':
      return Object.hasOwn(service.playbooks, String(action.params.name)) ? undefined : `${service.name} has no playbook named ${String(action.params.name)}`;
    case 'kill_stray_listener': {
      const ports = servicePorts(service);
      return ports.includes(Number(action.params.port)) ? undefined : `port ${String(action.params.port)} is not a port of ${service.name}`;
    }
    case 'vacuum_journal':
    case 'escalate':
      return undefined;
    default:
      return `${action.type} is not allowed here`;
  }
}

/** Ports a service is known to listen on: its TCP and HTTP checks and its profile's port. */
export function servicePorts(service: CompiledService): number[] {
  const ports = new Set<number>();
  if (service.profile?.port) ports.add(service.profile.port);
  for (const check of service.checks) {
    if (check.type === 'tcp') ports.add(check.port);
    if (check.type === 'http') {
      const url = new URL(check.url);
      ports.add(Number(url.port || (url.protocol === 'https:' ? 443 : 80)));
    }
  }
  return [...ports];
}
