/**
 * Finds runtime files (pid, lock, socket) left behind with no live owner: a pid file whose pid is not running,
 * or a file no process holds open. A file with a live owner is never stale, and neither is a path that leaves
 * its root or passes through a link (the file system refuses it; such a path is simply not a candidate).
 */
import type { FileSystem } from '../core/ports.js';
import { PathRefusedError } from '../core/errors.js';

export interface StaleFile {
  path: string;
  reason: string;
}

/** A runtime file and the root it must stay beneath. */
export interface RootedPath {
  root: string;
  path: string;
}

export async function findStaleFiles(paths: readonly RootedPath[], files: FileSystem): Promise<StaleFile[]> {
  const stale: StaleFile[] = [];
  for (const { root, path } of paths) {
    try {
      const kind = await files.inspect(root, path);
      // A link is never a stale runtime file: removing it would be harmless, but it is not what a service leaves.
      if (kind !== 'file') continue;
      if ((await files.holders(path)).length > 0) continue;
      const content = (await files.read(root, path, 64))?.trim() ?? '';
      if (/^\d+$/.test(content)) {
        const pid = Number(content);
        if (files.isProcessAlive(pid)) continue;
        stale.push({ path, reason: `pid ${pid} is not running` });
      } else {
        stale.push({ path, reason: 'no process holds it open' });
      }
    } catch (error) {
      if (!(error instanceof PathRefusedError)) throw error;
    }
  }
  return stale;
}
