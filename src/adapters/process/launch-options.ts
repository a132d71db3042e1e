/**
 * How a supervised child is launched: a minimal environment (PATH, HOME, LANG) with the service's own variables
 * over it, the uid and gid of its configured user (only a root daemon can change user), and whether its program
 * exists, so a missing binary reads as `missing` before anything is spawned.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { CompiledProcess } from '../../config/compiled.js';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface PasswdEntry {
  uid: number;
  gid: number;
  home: string;
}

/** A user's entry in /etc/passwd (no NSS: the daemon must not depend on a directory service to restart things). */
export function lookupUser(name: string, passwd = '/etc/passwd'): PasswdEntry | undefined {
  try {
    for (const line of readFileSync(passwd, 'utf8').split('\n')) {
      const [user, , uid, gid, , home] = line.split(':');
      if (user === name && /^\d+$/.test(uid ?? '') && /^\d+$/.test(gid ?? '')) return { uid: Number(uid), gid: Number(gid), home: home || '/' };
    }
  } catch {
    // No passwd file: no such user.
  }
  return undefined;
}

export interface LaunchOptions {
  env: Record<string, string>;
  uid?: number;
  gid?: number;
}

/** The environment and ids of the child, or why it cannot be launched as configured. */
export function launchOptions(spec: CompiledProcess, serviceName: string, daemonEnv: NodeJS.ProcessEnv = process.env): LaunchOptions | { error: string } {
  let user: PasswdEntry | undefined;
  if (spec.user) {
    if (process.getuid?.() !== 0) return { error: `${serviceName} runs as user ${spec.user}: only a daemon running as root can change user` };
    user = lookupUser(spec.user);
    if (!user) return { error: `${serviceName} runs as user ${spec.user}, which /etc/passwd does not have` };
  }
  const base: Record<string, string> = { PATH: daemonEnv.PATH || DEFAULT_PATH, HOME: user?.home ?? daemonEnv.HOME ?? '/', LANG: daemonEnv.LANG ?? 'C.UTF-8' };
  return { env: { ...base, ...spec.env }, uid: user?.uid, gid: user?.gid };
}

/** The file the program resolves to (argv[0] through PATH, or relative to cwd), or undefined if none is executable. */
export function findExecutable(program: string, searchPath: string, cwd?: string): string | undefined {
  const candidates = program.includes('/')
    ? [path.resolve(cwd ?? process.cwd(), program)]
    : searchPath
        .split(':')
        .filter(Boolean)
        .map((directory) => path.join(directory, program));
  return candidates.find((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return statSync(candidate).isFile();
    } catch {
      return false;
    }
  });
}

/** Whether a path is a directory (a child's working directory). */
export function isDirectory(directory: string): boolean {
  try {
    return statSync(directory).isDirectory();
  } catch {
    return false;
  }
}
