/**
 * What the process table says about a pid, read from /proc: whether it is alive (a zombie has exited, it only
 * waits to be reaped), how a zombie ended, and when a process started. Linux only, as the daemon is.
 */
import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';

export type ProcessLiveness = 'alive' | 'zombie' | 'gone';

/** Clock ticks per second of /proc's times (USER_HZ, 100 on every Linux the daemon runs on). */
const CLOCK_TICKS = 100;

/** The fields of /proc/PID/stat after the command name, which is in parentheses and may hold spaces. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').trimEnd();
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Alive, a zombie (exited, not reaped yet) or gone. A pid this daemon may not signal (EPERM) still exists. */
export function processLiveness(pid: number): ProcessLiveness {
  if (!Number.isInteger(pid) || pid <= 0) return 'gone';
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return 'gone';
  }
  const state = statFields(pid)?.[0];
  if (state === undefined) return existsInProc(pid) ? 'alive' : 'gone';
  return state === 'Z' || state === 'X' ? 'zombie' : 'alive';
}

function existsInProc(pid: number): boolean {
  try {
    readFileSync(`/proc/${pid}/status`, 'utf8');
    return true;
  } catch {
    return false;
  }
}

/** How a zombie ended, from its wait status in /proc/PID/stat (field 52): an exit code or a signal number. */
export function zombieExit(pid: number): { code: number | null; signalNumber: number | null } | undefined {
  const raw = statFields(pid)?.[49];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  const status = Number(raw);
  const signalNumber = status & 0x7f;
  return signalNumber === 0 ? { code: (status >> 8) & 0xff, signalNumber: null } : { code: null, signalNumber };
}

/** When a process started (wall ms), from its start time in ticks since boot and the boot time; null if unknown. */
export function processStartedAt(pid: number): number | null {
  const ticks = statFields(pid)?.[19];
  if (ticks === undefined || !/^\d+$/.test(ticks)) return null;
  try {
    const bootTime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1];
    return bootTime === undefined ? null : Math.round(Number(bootTime) * 1000 + (Number(ticks) / CLOCK_TICKS) * 1000);
  } catch {
    return null;
  }
}

/** Sends a signal to a process group (negative pid) or a process; the errno code when it could not. */
export function sendSignal(target: number, signal: NodeJS.Signals | 0): string | undefined {
  // 0 and -0 would be the daemon's own process group, 1 and -1 init or every process: never a service.
  if (!Number.isInteger(target) || Math.abs(target) <= 1) return 'EINVAL';
  try {
    process.kill(target, signal);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  }
}

/** Whether any process of a group is left (including zombies, which a SIGKILL no longer changes). */
export function groupExists(pgid: number): boolean {
  return pgid > 0 && sendSignal(-pgid, 0) !== 'ESRCH';
}

/** The number of a signal name (as systemd's ExecMainStatus reports it); 0 when unknown. */
export function signalNumber(signal: string): number {
  return (osConstants.signals as Record<string, number>)[signal] ?? 0;
}

/** Signals whose default action dumps core: systemd calls such an end "dumped", other signals "killed". */
export function dumpsCore(signal: number): boolean {
  return [3, 4, 5, 6, 7, 8, 11, 24, 25, 31].includes(signal);
}
