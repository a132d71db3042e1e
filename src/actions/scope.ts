/**
 * What a task's actions may touch: its own unit, its dependencies, its runtime files and directories, the
 * allow-listed cleanup paths, its named playbooks. Pure, so a proposal can be judged before anything runs
 * (and an out-of-scope proposal recorded as a security event), and the executor checks it again.
 */
import path from 'node:path';
import type { CompiledConfig, CompiledService } from '../config/compiled.js';
import type { Action } from '../core/types.js';
import { forbiddenRootReason, isWithin, normalizeAbsolute } from './path-policy.js';
import type { RootedPath } from './stale-files.js';

export interface ExecutionScope {
  service: CompiledService;
  /** Units the service depends on, which restart_dependency may touch. */
  dependencyUnits: readonly string[];
  /** Runtime directories systemd manages for the unit (RuntimeDirectory=, the PIDFile='s directory). */
  runtimeDirectories: readonly string[];
  /** Config tests of dependency units that are managed services. */
  configTestFor: (unit: string) => readonly string[] | undefined;
}

/** Actions on the service's own unit (a fix naming none gets the task's unit). */
export const OWN_UNIT_ACTIONS: ReadonlySet<string> = new Set(['restart_unit', 'start_unit', 'reload_unit', 'reset_failed', 'resume_process', 'kill_process_tree', 'restore_config']);

/**
 * Directories under which stale runtime files of this service may be removed: the profile's, the unit's
 * RuntimeDirectory=, and the directories of its runtime files, less any shared or system directory and the data
 * directory (path-policy.ts). Strings only: the executor checks the resolved root again before acting.
 */
export function runtimeRoots(scope: ExecutionScope, dataDir?: string): string[] {
  const { service } = scope;
  const candidates = [...(service.profile?.runtimeDirs ?? []), ...scope.runtimeDirectories, ...service.runtimeFiles.map((file) => path.dirname(file))];
  const roots = candidates.map((directory) => normalizeAbsolute(directory)).filter((directory): directory is string => directory !== undefined);
  return [...new Set(roots)].filter((directory) => forbiddenRootReason(directory, dataDir) === undefined);
}

/**
 * The root a runtime file must stay beneath: its own directory when it is one of the service's runtime files
 * (only that file is then in scope), else the deepest runtime root holding it; undefined when it is out of scope.
 */
export function runtimeRootFor(file: string, scope: ExecutionScope, dataDir?: string): string | undefined {
  const normalized = normalizeAbsolute(file);
  if (!normalized || normalized !== file) return undefined;
  if (scope.service.runtimeFiles.includes(normalized)) return path.dirname(normalized);
  return runtimeRoots(scope, dataDir)
    .filter((root) => normalized !== root && isWithin(normalized, root))
    .sort((a, b) => b.length - a.length)[0];
}

/** The service's runtime files, each with the root it must stay beneath. */
export function rootedRuntimeFiles(files: readonly string[], scope: ExecutionScope, dataDir?: string): RootedPath[] {
  return files.flatMap((file) => {
    const root = runtimeRootFor(file, scope, dataDir);
    return root ? [{ root, path: file }] : [];
  });
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
      return runtimeRootFor(file, scope, config.dataDir) ? undefined : `${file} is not a runtime file of ${service.name}`;
    }
    case 'clean_directory':
      return config.host.cleanup.some((entry) => entry.path === action.params.path && forbiddenRootReason(entry.path, config.dataDir) === undefined)
        ? undefined
        : `${String(action.params.path)} is not an allow-listed cleanup directory`;
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
