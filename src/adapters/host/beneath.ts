/**
 * File operations confined beneath a root directory, following no link at any component: the root is opened
 * once (its real path), and every step below it is opened relative to the directory opened before, through
 * /proc/self/fd/N/<name> with O_NOFOLLOW (Linux's equivalent of openat with no-follow). A component that is a
 * link, a component on another filesystem (when asked), or a path that leaves the root is refused, so a hostile
 * service that swaps a directory of its runtime tree for a link to /etc cannot make root remove a file there.
 * Removal unlinks the last name inside the opened directory, which never follows a link either.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync, realpathSync, unlinkSync } from 'node:fs';
import { posix } from 'node:path';
import { isWithin, normalizeAbsolute } from '../../core/path-policy.js';
import { PathRefusedError } from '../../core/errors.js';

export interface BeneathOptions {
  /** Refuse a directory or file on another filesystem than the root (cleanup never crosses a mount). */
  sameDevice?: boolean;
}

const DIRECTORY_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
const MAX_DEPTH = 64;

/** An opened directory: a name relative to it is `at(name)`. */
interface OpenDirectory {
  fd: number;
  device: number;
  at(name: string): string;
  close(): void;
}

function openDirectory(path: string): OpenDirectory {
  const fd = openSync(path, DIRECTORY_FLAGS);
  return { fd, device: fstatSync(fd).dev, at: (name) => `/proc/self/fd/${fd}/${name}`, close: () => closeSync(fd) };
}

/** The root's real path: the one place a link is resolved, for the root the config or the unit names. */
export function realRoot(root: string): string {
  const normalized = normalizeAbsolute(root);
  if (!normalized) throw new PathRefusedError(`${root} is not an absolute path without ".."`);
  try {
    return realpathSync(normalized);
  } catch (error) {
    throw new PathRefusedError(`${normalized} cannot be resolved: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** Opens a root at its real path; whatever goes wrong is a refusal that names the root. */
function openRoot(normalizedRoot: string): OpenDirectory {
  try {
    return openDirectory(realRoot(normalizedRoot));
  } catch (error) {
    if (error instanceof PathRefusedError) throw error;
    throw new PathRefusedError(`${normalizedRoot} cannot be opened as a directory: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/**
 * Opens the directory that holds `path` (beneath `root`), step by step without following links; returns it
 * with the last name. The caller closes it.
 */
function openParent(root: string, path: string, options: BeneathOptions): { directory: OpenDirectory; name: string } {
  const normalizedRoot = normalizeAbsolute(root);
  const normalizedPath = normalizeAbsolute(path);
  if (!normalizedRoot || !normalizedPath) throw new PathRefusedError(`${path} is not an absolute path without ".."`);
  if (normalizedPath === normalizedRoot || !isWithin(normalizedPath, normalizedRoot)) throw new PathRefusedError(`${normalizedPath} is not beneath ${normalizedRoot}`);
  const parts = posix.relative(normalizedRoot, normalizedPath).split('/');
  if (parts.length > MAX_DEPTH) throw new PathRefusedError(`${normalizedPath} is nested too deep`);
  let directory = openRoot(normalizedRoot);
  const rootDevice = directory.device;
  let walked = normalizedRoot;
  for (const part of parts.slice(0, -1)) {
    walked = `${walked}/${part}`;
    let next: OpenDirectory;
    try {
      next = openDirectory(directory.at(part));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // With O_DIRECTORY, Linux answers ENOTDIR (not ELOOP) for a link: ask what it is, without following it.
      const isLink = code === 'ELOOP' || (code === 'ENOTDIR' && lstatSync(directory.at(part), { throwIfNoEntry: false })?.isSymbolicLink());
      directory.close();
      if (isLink) throw new PathRefusedError(`${walked} is a symbolic link: links are never followed below ${normalizedRoot}`);
      if (code === 'ENOTDIR') throw new PathRefusedError(`${walked} is not a directory`);
      throw new PathRefusedError(`${walked} cannot be opened: ${code ?? (error as Error).message}`);
    }
    directory.close();
    directory = next;
    if (options.sameDevice && directory.device !== rootDevice) {
      directory.close();
      throw new PathRefusedError(`${walked} is on another filesystem than ${normalizedRoot}: a cleanup never crosses a mount`);
    }
  }
  return { directory, name: parts.at(-1)! };
}

/** What is at `path` beneath `root` (not following a link there either): a file, a link, something else, nothing. */
export function inspectBeneath(root: string, path: string, options: BeneathOptions = {}): 'file' | 'link' | 'other' | 'missing' {
  const { directory, name } = openParent(root, path, options);
  try {
    const info = lstatSync(directory.at(name), { throwIfNoEntry: false });
    if (!info) return 'missing';
    if (options.sameDevice && info.dev !== directory.device) throw new PathRefusedError(`${path} is on another filesystem than ${root}`);
    return info.isSymbolicLink() ? 'link' : info.isFile() || info.isSocket() || info.isFIFO() ? 'file' : 'other';
  } finally {
    directory.close();
  }
}

/** Reads at most `maxBytes` of a regular file beneath `root`, never through a link; undefined when it is not one. */
export function readBeneath(root: string, path: string, maxBytes: number): string | undefined {
  const { directory, name } = openParent(root, path, {});
  let fd: number | undefined;
  try {
    fd = openSync(directory.at(name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    if (!fstatSync(fd).isFile()) return undefined;
    const buffer = Buffer.alloc(maxBytes);
    const bytesRead = readSync(fd, buffer, 0, maxBytes, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
    directory.close();
  }
}

/**
 * Removes the file (or socket, or the link itself) at `path` beneath `root`; a directory is refused. Returns
 * false when nothing was there.
 */
export function removeBeneath(root: string, path: string, options: BeneathOptions = {}): boolean {
  const { directory, name } = openParent(root, path, options);
  try {
    const target = directory.at(name);
    const info = lstatSync(target, { throwIfNoEntry: false });
    if (!info) return false;
    if (info.isDirectory()) throw new PathRefusedError(`${path} is a directory: only files are removed`);
    if (options.sameDevice && info.dev !== directory.device) throw new PathRefusedError(`${path} is on another filesystem than ${root}`);
    unlinkSync(target);
    return true;
  } finally {
    directory.close();
  }
}

export interface FoundFile {
  path: string;
  ageMs: number;
  size: number;
}

/**
 * Regular files beneath `root` at any depth, walking only real directories (links are listed as neither files nor
 * directories, so never followed) and, with `sameDevice`, never entering another filesystem. Capped at `limit`.
 */
export function listFilesBeneath(root: string, now: number, options: BeneathOptions & { limit?: number } = {}): FoundFile[] {
  const limit = options.limit ?? 100_000;
  const normalizedRoot = normalizeAbsolute(root);
  if (!normalizedRoot) throw new PathRefusedError(`${root} is not an absolute path without ".."`);
  const rootInfo = lstatSync(normalizedRoot, { throwIfNoEntry: false });
  if (rootInfo?.isSymbolicLink()) throw new PathRefusedError(`${normalizedRoot} is a symbolic link: a cleanup path is never followed`);
  const found: FoundFile[] = [];
  const top = openRoot(normalizedRoot);
  const visit = (directory: OpenDirectory, path: string, depth: number) => {
    for (const entry of readdirSync(`/proc/self/fd/${directory.fd}`, { withFileTypes: true })) {
      if (found.length >= limit) return;
      const child = `${path}/${entry.name}`;
      if (entry.isFile()) {
        const info = lstatSync(directory.at(entry.name), { throwIfNoEntry: false });
        if (info?.isFile() && (!options.sameDevice || info.dev === top.device)) found.push({ path: child, ageMs: now - info.mtimeMs, size: info.size });
      } else if (entry.isDirectory() && depth < MAX_DEPTH) {
        let next: OpenDirectory;
        try {
          next = openDirectory(directory.at(entry.name));
        } catch {
          continue;
        }
        try {
          if (!options.sameDevice || next.device === top.device) visit(next, child, depth + 1);
        } finally {
          next.close();
        }
      }
    }
  };
  try {
    visit(top, normalizedRoot, 0);
  } finally {
    top.close();
  }
  return found;
}

/** Whether two existing paths are on the same filesystem (device), following links as a mount check would. */
export function sameFilesystem(a: string, b: string): boolean {
  try {
    return statDevice(a) === statDevice(b);
  } catch {
    return false;
  }
}

function statDevice(path: string): number {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    return fstatSync(fd).dev;
  } finally {
    closeSync(fd);
  }
}
