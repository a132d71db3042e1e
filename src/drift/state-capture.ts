/**
 * Reads a service's state (service-state.ts) from its adapter's definition and the file system: the unit file and
 * drop-ins, environment files (secrets hashed), and the owner, group and mode of the paths it uses. Read-only,
 * never through a link, capped in files, bytes and entries.
 */
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CompiledService } from '../config/compiled.js';
import type { ServiceAdapter, ServiceDefinition } from '../core/ports.js';
import { adapterOf } from '../core/ports.js';
import { forbiddenRootReason, isSharedRoot, normalizeAbsolute } from '../core/path-policy.js';
import { readAccountNames, type AccountNames } from './account-names.js';
import { redactAssignment, redactEnvironmentText, type CapturedFile, type CapturedPath, type FileRole, type ServiceState } from './service-state.js';

const MAX_FILE_BYTES = 256 * 1024;
const MAX_FILES = 40;
const MAX_PATHS = 300;
const MAX_CHILDREN = 100;

export interface StateCaptureOptions {
  adapter: ServiceAdapter;
  dataDir: string;
}

/** The service's state now, or undefined when its adapter cannot say how it is defined. */
export async function captureServiceState(service: CompiledService, at: number, options: StateCaptureOptions, signal?: AbortSignal): Promise<ServiceState | undefined> {
  const adapter = adapterOf(options.adapter, service.unit);
  if (!adapter.definition || !adapter.capabilities.has('definition') || adapter.unavailable) return undefined;
  const definition = await adapter.definition(service.unit, signal);
  const files: CapturedFile[] = [];
  const [unitFile, ...dropIns] = definition.unitFiles;
  for (const [file, role] of [
    ...(unitFile ? [[unitFile, 'unit'] as const] : []),
    ...dropIns.map((dropIn) => [dropIn, 'drop-in'] as const),
    ...definition.environmentFiles.map((environment) => [environment, 'environment'] as const),
  ]) {
    if (files.length >= MAX_FILES) break;
    const captured = await captureFile(file, role);
    if (captured) files.push(captured);
  }
  return {
    service: service.name,
    unit: service.unit,
    takenAt: at,
    user: definition.user,
    group: definition.group,
    workingDirectory: definition.workingDirectory,
    execPath: definition.execPath,
    limits: definition.limits,
    environment: definition.environment.map(redactAssignment),
    files,
    paths: await capturePaths(watchedPaths(service, definition, options.dataDir), await readAccountNames()),
  };
}

/** The paths whose owner, group and mode are part of the state: the service's own directories, its program, its configuration. */
export function watchedPaths(service: CompiledService, definition: ServiceDefinition, dataDir: string): Array<{ path: string; role: string; children: boolean }> {
  const entries: Array<{ path: string; role: string; children: boolean }> = [];
  const add = (candidate: string, role: string) => {
    const normalized = normalizeAbsolute(candidate);
    if (!normalized || entries.some((entry) => entry.path === normalized)) return;
    // A system or shared directory (/, /etc, /usr) is not the service's own: its children are not watched.
    const own = forbiddenRootReason(normalized, dataDir) === undefined && !isSharedRoot(normalized);
    entries.push({ path: normalized, role, children: own });
  };
  for (const directory of definition.directories) add(directory, 'directory of the unit');
  if (definition.workingDirectory) add(definition.workingDirectory, 'working directory');
  for (const directory of service.profile?.runtimeDirs ?? []) add(directory, 'runtime directory');
  for (const directory of service.profile?.dataDirs ?? []) add(directory, 'data directory');
  for (const configPath of service.configPaths) add(configPath, 'configuration');
  if (definition.execPath) entries.push({ path: definition.execPath, role: 'program', children: false });
  return entries;
}

async function captureFile(file: string, role: FileRole): Promise<CapturedFile | undefined> {
  try {
    const info = await lstat(file);
    if (!info.isFile() || info.size > MAX_FILE_BYTES) return undefined;
    const content = await readFile(file);
    const text = content.toString('utf8');
    return {
      path: file,
      role,
      sha256: createHash('sha256').update(content).digest('hex'),
      text: role === 'environment' ? redactEnvironmentText(text) : text,
      mode: info.mode & 0o7777,
      uid: info.uid,
      gid: info.gid,
      modifiedAt: Math.max(info.mtimeMs, info.ctimeMs),
    };
  } catch {
    return undefined;
  }
}

async function capturePaths(entries: ReadonlyArray<{ path: string; role: string; children: boolean }>, names: AccountNames): Promise<CapturedPath[]> {
  const captured: CapturedPath[] = [];
  for (const entry of entries) {
    if (captured.length >= MAX_PATHS) break;
    const top = await capturePath(entry.path, entry.role, names);
    captured.push(top);
    if (top.kind !== 'directory' || !entry.children) continue;
    const children = await readdir(entry.path).catch(() => [] as string[]);
    for (const name of children.sort().slice(0, MAX_CHILDREN)) {
      if (captured.length >= MAX_PATHS) break;
      captured.push(await capturePath(path.join(entry.path, name), entry.role, names));
    }
  }
  return captured;
}

async function capturePath(file: string, role: string, names: AccountNames): Promise<CapturedPath> {
  try {
    const info = await lstat(file);
    const kind = info.isDirectory() ? 'directory' : info.isFile() ? 'file' : info.isSymbolicLink() ? 'link' : 'other';
    const owner = `${names.user(info.uid)}:${names.group(info.gid)}`;
    return { path: file, role, kind, uid: info.uid, gid: info.gid, mode: info.mode & 0o7777, owner, changedAt: Math.max(info.mtimeMs, info.ctimeMs) };
  } catch {
    return { path: file, role, kind: 'missing', uid: -1, gid: -1, mode: 0, owner: '', changedAt: 0 };
  }
}
