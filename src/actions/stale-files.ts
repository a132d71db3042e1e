/**
 * Finds runtime files (pid, lock, socket) left behind with no live owner: a pid file whose pid is not running,
 * or a file no process holds open. A file with a live owner is never stale.
 */
import type { FileSystem } from '../core/ports.js';

export interface StaleFile {
  path: string;
  reason: string;
}

export async function findStaleFiles(paths: readonly string[], files: FileSystem): Promise<StaleFile[]> {
  const stale: StaleFile[] = [];
  for (const path of paths) {
    if (!(await files.exists(path))) continue;
    if ((await files.holders(path)).length > 0) continue;
    const content = (await files.readText(path, 64))?.trim() ?? '';
    if (/^\d+$/.test(content)) {
      const pid = Number(content);
      if (files.isProcessAlive(pid)) continue;
      stale.push({ path, reason: `pid ${pid} is not running` });
    } else {
      stale.push({ path, reason: 'no process holds it open' });
    }
  }
  return stale;
}
