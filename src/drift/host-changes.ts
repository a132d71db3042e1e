/** What else changed on the host since a time: packages per dpkg's log, files modified under given roots. Read-only, capped. */
import { lstat, open, readdir } from 'node:fs/promises';
import path from 'node:path';

export interface PackageChange {
  at: number;
  action: 'install' | 'upgrade' | 'remove' | 'purge';
  package: string;
  arch?: string;
  from?: string;
  to?: string;
}

const ACTIONS = new Set(['install', 'upgrade', 'remove', 'purge']);

/** dpkg.log lines ("2026-12-01 10:22:31 upgrade nginx:amd64 1.22.1-9 1.22.1-9+deb12u1"); other kinds and malformed lines are skipped. */
export function parseDpkgLog(text: string): PackageChange[] {
  const changes: PackageChange[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d) (\S+) (\S+) (\S+) (\S+)\s*$/.exec(line);
    if (!match || !ACTIONS.has(match[7]!)) continue;
    const [name, arch] = match[8]!.split(':');
    const version = (value: string) => (value === '<none>' ? undefined : value);
    changes.push({
      at: new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6])).getTime(),
      action: match[7] as PackageChange['action'],
      package: name!,
      ...(arch ? { arch } : {}),
      ...(version(match[9]!) ? { from: match[9] } : {}),
      ...(version(match[10]!) ? { to: match[10] } : {}),
    });
  }
  return changes;
}

/** Package changes between `since` and `until`, from the tail (at most `maxBytes`) of each log; newest last, at most 50. */
export async function recentPackageChanges(options: { since: number; until?: number; logPaths?: string[]; maxBytes?: number }): Promise<PackageChange[]> {
  const maxBytes = options.maxBytes ?? 512 * 1024;
  const changes: PackageChange[] = [];
  for (const file of options.logPaths ?? ['/var/log/dpkg.log']) {
    const handle = await open(file, 'r').catch(() => undefined);
    if (!handle) continue;
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, maxBytes);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      let text = buffer.toString('utf8');
      if (length < size) text = text.slice(text.indexOf('\n') + 1);
      changes.push(...parseDpkgLog(text));
    } finally {
      await handle.close();
    }
  }
  const until = options.until ?? Number.POSITIVE_INFINITY;
  return changes
    .filter((change) => change.at >= options.since && change.at <= until)
    .sort((a, b) => a.at - b.at)
    .slice(-50);
}

/** Entries under the roots changed (mtime or ctime) since `since`, never through a link; sorted by time, capped. */
export async function recentlyModified(options: {
  roots: string[];
  since: number;
  maxFiles?: number;
  maxDepth?: number;
}): Promise<Array<{ path: string; modifiedAt: number; kind: 'file' | 'directory' | 'link' }>> {
  const found: Array<{ path: string; modifiedAt: number; kind: 'file' | 'directory' | 'link' }> = [];
  let visited = 0;
  const visit = async (entry: string, depth: number): Promise<void> => {
    if (visited++ >= 2000) return;
    const info = await lstat(entry).catch(() => undefined);
    if (!info) return;
    const kind = info.isSymbolicLink() ? 'link' : info.isDirectory() ? 'directory' : info.isFile() ? 'file' : undefined;
    const changedAt = Math.max(info.mtimeMs, info.ctimeMs);
    if (kind && changedAt >= options.since) found.push({ path: entry, modifiedAt: changedAt, kind });
    if (kind !== 'directory' || depth >= (options.maxDepth ?? 4)) return;
    for (const name of (await readdir(entry).catch(() => [] as string[])).sort()) await visit(path.join(entry, name), depth + 1);
  };
  for (const root of options.roots) await visit(root, 0);
  return found.sort((a, b) => a.modifiedAt - b.modifiedAt).slice(0, options.maxFiles ?? 50);
}
