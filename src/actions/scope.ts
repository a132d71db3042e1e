/**
 * What a task's actions may touch: its own unit, its dependencies, its runtime files and directories, the
 * allow-listed cleanup paths, its named playbooks. Pure, so a proposal can be judged before anything runs
 * (and an out-of-scope proposal recorded as a security event), and the executor checks it again.
 */
import path from 'node:path';
import type { CompiledConfig, CompiledService } from '../config/compiled.js';
import type { Action } from '../core/types.js';
import type { AdapterCapability } from '../core/ports.js';
import { forbiddenRootReason, isWithin, normalizeAbsolute } from '../core/path-policy.js';
import type { RootedPath } from './stale-files.js';
import { actionDefinition } from './definitions/index.js';

export interface ExecutionScope {
  service: CompiledService;
  /** Units the service depends on, which restart_dependency may touch. */
  dependencyUnits: readonly string[];
  /** Runtime directories systemd manages for the unit (RuntimeDirectory=, the PIDFile='s directory). */
  runtimeDirectories: readonly string[];
  /** Config tests of dependency units that are managed services. */
  configTestFor: (unit: string) => readonly string[] | undefined;
  /** What the service's adapter can do; an action needing more is neither offered nor run. Unknown: everything. */
  capabilities?: ReadonlySet<AdapterCapability>;
}

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

/** Returns why the action is outside the task's scope, or undefined when it is inside (each action's own rule). */
export function scopeViolation(action: Action, scope: ExecutionScope, config: CompiledConfig): string | undefined {
  const definition = actionDefinition(action.type);
  if (!definition) return `${String(action.type).slice(0, 60)} is not allowed here`;
  return definition.scope(action.params, scope, config);
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
