/**
 * FileSystem over node:fs and /proc: reading runtime files, finding who holds them, removing stale ones and
 * cleaning allow-listed directories, every path confined beneath its root without following links (beneath.ts).
 */
import { readdir, readlink, realpath } from 'node:fs/promises';
import type { FileSystem } from '../../core/ports.js';
import { inspectBeneath, listFilesBeneath, readBeneath, removeBeneath, sameFilesystem } from './beneath.js';

export const nodeFileSystem: FileSystem = {
  async inspect(root, path, options) {
    return inspectBeneath(root, path, options);
  },

  async read(root, path, maxBytes) {
    return readBeneath(root, path, maxBytes);
  },

  async remove(root, path, options) {
    return removeBeneath(root, path, options);
  },

  async listFiles(root, options) {
    return listFilesBeneath(root, Date.now(), options);
  },

  async realPath(path) {
    try {
      return await realpath(path);
    } catch {
      return undefined;
    }
  },

  async sameFilesystem(a, b) {
    return sameFilesystem(a, b);
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
