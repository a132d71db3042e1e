/** Real processes for adapter tests: a pid that is certainly dead, a sleeper to find by pid file, polling. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The pid of a process that has exited and been reaped (a stale pid file's content). */
export async function deadPid(): Promise<number> {
  const child = spawn('/bin/true', [], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

/** A `sleep 1000` in its own process group: a process the adapter did not start (kill it in a finally). */
export function sleeper(): ChildProcess {
  const child = spawn('/bin/sleep', ['1000'], { stdio: 'ignore', detached: true });
  child.unref();
  return child;
}

/** Whether a pid has exited (gone, or a zombie waiting to be reaped). */
export function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
}

/** Polls `probe` every 25 ms until it gives a value; throws naming `what` after `timeoutMs`. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
