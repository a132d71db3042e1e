/**
 * The path policy: which directories may ever be roots for file actions (stale runtime files, cleanup). Pure
 * and string-level, used by the config to refuse system directories with the reason, and again by the executor
 * on the *resolved* root (after realpath), so a root that is a link into /etc is refused as well. Containment of
 * the file under its root is enforced where files are touched (`adapters/host/beneath.ts`), without following
 * links at any component.
 */
import { posix } from 'node:path';

/** Trees no file action may ever touch, at any depth. */
const SYSTEM_TREES = ['/etc', '/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/boot', '/proc', '/sys', '/dev', '/root'];

/**
 * Directories shared by the whole system: acting on them as a root would touch every service's files. Their
 * subdirectories (/var/tmp/app-cache, /run/app) are fine.
 */
const SHARED_ROOTS = [
  '/',
  '/home',
  '/var',
  '/var/lib',
  '/var/cache',
  '/var/log',
  '/var/spool',
  '/var/tmp',
  '/var/run',
  '/run',
  '/run/lock',
  '/var/lock',
  '/run/user',
  '/tmp',
  '/srv',
  '/opt',
  '/mnt',
  '/media',
  '/dev/shm',
];

/** "//etc/./x/" → "/etc/x"; undefined for a relative path or one with ".." or control characters. */
export function normalizeAbsolute(path: string): string | undefined {
  if (!path.startsWith('/') || /[\u0000-\u001f]/.test(path) || path.split('/').includes('..')) return undefined;
  const normalized = posix.normalize(path).replace(/^\/+/, '/');
  return normalized.length > 1 ? normalized.replace(/\/+$/, '') : normalized;
}

/** Whether `path` is `directory` or lies beneath it (both normalized). */
export function isWithin(path: string, directory: string): boolean {
  return path === directory || path.startsWith(directory === '/' ? '/' : `${directory}/`);
}

/**
 * Why `path` may not be a root for file actions (a cleanup path, a runtime-file directory), or undefined when it
 * may. `dataDir` is the orchestrator's own data directory: never a root, nor inside or above one.
 */
export function forbiddenRootReason(path: string, dataDir?: string): string | undefined {
  const normalized = normalizeAbsolute(path);
  if (!normalized) return `${path} is not an absolute path without ".."`;
  const tree = SYSTEM_TREES.find((system) => isWithin(normalized, system));
  if (tree) return `${normalized} is ${normalized === tree ? 'a system directory' : `inside the system directory ${tree}`}: no file action may touch it`;
  if (SHARED_ROOTS.includes(normalized))
    return `${normalized} is shared by the whole system: name a directory of its own, such as ${normalized === '/' ? '/var/tmp/app-cache' : `${normalized}/app`}`;
  const data = dataDir ? normalizeAbsolute(dataDir) : undefined;
  if (data && (isWithin(normalized, data) || isWithin(data, normalized))) {
    return `${normalized} ${isWithin(normalized, data) ? 'is inside' : 'contains'} the orchestrator's data directory ${data}`;
  }
  return undefined;
}

/**
 * Why a runtime file may not be named (`runtimeFiles:`), or undefined: the file itself may sit directly in a
 * shared directory such as /run (then only that file is in scope, not its siblings), but never in a system tree
 * or the data directory.
 */
export function forbiddenRuntimeFileReason(file: string, dataDir?: string): string | undefined {
  const normalized = normalizeAbsolute(file);
  if (!normalized || normalized === '/') return `${file} is not an absolute file path without ".."`;
  const directory = posix.dirname(normalized);
  const reason = forbiddenRootReason(directory, dataDir);
  if (reason && !SHARED_ROOTS.includes(directory)) return reason;
  if (directory === '/') return `${normalized} is directly in /: runtime files live in a directory such as /run/app`;
  return undefined;
}

/** Whether a directory is shared by the whole system (a runtime file directly in it does not make its siblings ours). */
export function isSharedRoot(directory: string): boolean {
  const normalized = normalizeAbsolute(directory);
  return normalized === undefined || SHARED_ROOTS.includes(normalized) || SYSTEM_TREES.some((system) => isWithin(normalized, system));
}
