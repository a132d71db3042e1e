/** FileSystem over node:fs and /proc: reading runtime files, finding who holds them, removing stale ones. */
import { readdir, readlink, stat, unlink, open, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileSystem } from '../../core/ports.js';

export const nodeFileSystem: FileSystem = {
  async readText(path, maxBytes) {
    let handle;
    try {
      handle = await open(path, 'r');
      const buffer = Buffer.alloc(maxBytes);
      const { bytesRead } = await handle.read(buffer, 0, maxBytes, 0);
      return buffer.subarray(0, bytesRead).toString('utf8');
    } catch {
      return undefined;
    } finally {
      await handle?.close();
    }
  },

  async exists(path) {
    try {
      await lstat(path);
      return true;
    } catch {
      return false;
    }
  },

  async remove(path) {
    await unlink(path);
  },

  async listFiles(directory) {
    const now = Date.now();
    const entries = await readdir(directory, { withFileTypes: true, recursive: true });
    const files: Array<{ path: string; ageMs: number; size: number }> = [];
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      try {
        const info = await stat(path);
        files.push({ path, ageMs: now - info.mtimeMs, size: info.size });
      } catch {
        // Vanished meanwhile.
      }
    }
    return files;
  },

  isProcessAlive(pid) {
    if (!Number.isInteger(pid) || pid <= 0) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  },

  async holders(path) {
    const pids: number[] = [];
    let processes: string[];
    try {
      processes = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
    } catch {
      return pids;
    }
    for (const pid of processes) {
      let descriptors: string[];
      try {
        descriptors = await readdir(`/proc/${pid}/fd`);
      } catch {
        continue;
      }
      for (const descriptor of descriptors) {
        try {
          if ((await readlink(`/proc/${pid}/fd/${descriptor}`)) === path) {
            pids.push(Number(pid));
            break;
          }
        } catch {
          // The descriptor closed meanwhile.
        }
      }
    }
    return pids;
  },
};
