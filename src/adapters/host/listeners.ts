/** Who listens on a TCP port: /proc/net/tcp{,6} sockets in LISTEN, mapped to pids through /proc/PID/fd. Read-only, capped. */
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { Listener } from '../../core/ports.js';

const MAX_PIDS = 4000;
const MAX_ANCESTORS = 64;

export async function listenersOn(port: number): Promise<Listener[]> {
  const inodes = new Map<string, string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== '0A') continue;
      const [address, hexPort] = fields[1]!.split(':');
      if (Number.parseInt(hexPort ?? '', 16) === port) inodes.set(fields[9]!, address ?? '');
    }
  }
  if (inodes.size === 0) return [];
  const listeners: Listener[] = [];
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((name) => /^\d+$/.test(name)).slice(0, MAX_PIDS);
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (!inode || !inodes.has(inode)) continue;
      const command = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
      const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ').trim().slice(0, 300);
      const cgroup = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '');
      const unit = cgroup
        .split('\n')
        .flatMap((line) => line.split(':').slice(2).join(':').split('/'))
        .filter((part) => /\.(service|scope|slice)$/.test(part))
        .pop();
      listeners.push({ port, pid: Number(pid), command, cmdline, unit, address: inodes.get(inode)!, ancestors: await ancestorsOf(Number(pid)) });
      break;
    }
  }
  return listeners;
}

/** The parent chain of a process from /proc/PID/stat (its 4th field, after the parenthesised command). */
async function ancestorsOf(pid: number): Promise<number[]> {
  const chain: number[] = [];
  let current = pid;
  while (chain.length < MAX_ANCESTORS) {
    const stat = await readFile(`/proc/${current}/stat`, 'utf8').catch(() => '');
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!Number.isInteger(parent) || parent <= 1) break;
    chain.push(parent);
    current = parent;
  }
  return chain;
}
