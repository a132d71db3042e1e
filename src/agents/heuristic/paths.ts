/**
 * Path handling for the heuristic rules. Paths come from untrusted log lines, so a path is only ever proposed when
 * it is one of the service's runtime files or sits in the same private directory as one: a log line that names
 * /etc/passwd (or a shared directory such as /run itself) never turns into a file removal.
 */
import { posix } from 'node:path';
import type { CatalogEntry } from '../agent.js';
import { isSharedRoot } from '../../core/path-policy.js';

const ABSOLUTE_PATH = /(?<![\w.:/~-])\/[A-Za-z0-9._@+-]+(?:\/[A-Za-z0-9._@+-]+)*/g;

/** Absolute paths mentioned in a text, without trailing punctuation; paths with ".." segments are dropped. */
export function absolutePaths(text: string): string[] {
  const found = (text.match(ABSOLUTE_PATH) ?? []).map((path) => path.replace(/[.,:;]+$/, ''));
  return [...new Set(found.filter((path) => !path.split('/').includes('..')))];
}

/** Absolute paths a catalog entry names in its description or parameter descriptions (the task's allow-list). */
export function catalogPaths(entry: CatalogEntry): string[] {
  return absolutePaths([entry.description, ...Object.values(entry.params)].join(' '));
}

/** Whether `path` lies inside one of the service's own (not shared) runtime directories. */
function inRuntimeDirectory(path: string, runtimeDirectories: readonly string[]): boolean {
  return runtimeDirectories.some((directory) => !isSharedRoot(directory) && path.startsWith(`${directory}/`));
}

/**
 * A runtime file itself, a file in one of the service's own runtime directories, or a file directly beside a
 * runtime file in a directory that is not shared with other services.
 */
export function isSafeRuntimePath(path: string, runtimeFiles: readonly string[], runtimeDirectories: readonly string[] = []): boolean {
  if (!path.startsWith('/') || path.split('/').includes('..') || posix.normalize(path) !== path) return false;
  if (runtimeFiles.includes(path) || inRuntimeDirectory(path, runtimeDirectories)) return true;
  const directory = posix.dirname(path);
  return !isSharedRoot(directory) && runtimeFiles.some((file) => posix.dirname(file) === directory);
}

/** How a log line was tied to a runtime file, most specific first. */
export type PathMatch = 'exact' | 'directory' | 'basename' | 'sibling' | 'kind';

/**
 * The runtime files a stale-state log line points at: an exact runtime file named in the line, a file the line
 * names inside one of the service's own runtime directories, a runtime file whose
 * base name the line quotes (postgres says "postmaster.pid"), a sibling path in the same private directory, or
 * (when the line names no file) the only runtime file of the kind it mentions (pid or lock).
 */
export function staleFileCandidates(line: string, runtimeFiles: readonly string[], runtimeDirectories: readonly string[] = []): Array<{ path: string; match: PathMatch }> {
  const named = absolutePaths(line);
  const exact = named.filter((path) => runtimeFiles.includes(path));
  if (exact.length > 0) return exact.map((path) => ({ path, match: 'exact' }));
  const inDirectory = named.filter((path) => isSafeRuntimePath(path, [], runtimeDirectories));
  if (inDirectory.length > 0) return inDirectory.map((path) => ({ path, match: 'directory' }));
  const byName = runtimeFiles.filter((file) => new RegExp(`(^|[\\s"'(/])${escapeRegExp(posix.basename(file))}($|[\\s"',:;)])`).test(line));
  if (byName.length > 0) return byName.map((path) => ({ path, match: 'basename' }));
  const siblings = named.filter((path) => isSafeRuntimePath(path, runtimeFiles));
  if (siblings.length > 0) return siblings.map((path) => ({ path, match: 'sibling' }));
  if (named.length > 0) return [];
  for (const kind of ['pid', 'lock'] as const) {
    if (!new RegExp(`\\b${kind}\\b`, 'i').test(line)) continue;
    const ofKind = runtimeFiles.filter((file) => file.endsWith(`.${kind}`));
    if (ofKind.length === 1) return [{ path: ofKind[0]!, match: 'kind' }];
  }
  return [];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
