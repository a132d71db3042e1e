/**
 * Pid files: how a process found (not started) by the daemon is known, and where the daemon publishes the pid of
 * a child it supervises so other tools find it. Read without following a link and only a few bytes of it.
 */
import { closeSync, constants, fchmodSync, openSync, readSync, rmSync, writeSync } from 'node:fs';

/** The pid in a pid file; undefined when it is missing, a link, or does not hold a number. */
export function readPidFile(file: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const buffer = Buffer.alloc(32);
    const text = buffer.toString('utf8', 0, readSync(fd, buffer, 0, buffer.length, 0)).trim();
    return /^\d{1,10}$/.test(text) && Number(text) > 0 ? Number(text) : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Whether a pid file exists at all (a file naming a dead pid still does: it is stale). */
export function pidFileExists(file: string): boolean {
  try {
    closeSync(openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK));
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** Writes a child's pid (mode 0644, replacing what was there, never through a link); the error text, if any. */
export function writePidFile(file: string, pid: number): string | undefined {
  try {
    rmSync(file, { force: true });
    const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    try {
      writeSync(fd, `${pid}\n`);
      fchmodSync(fd, 0o644); // Whatever the umask.
    } finally {
      closeSync(fd);
    }
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Removes the pid file when it still names `pid` (a newer owner's file is left alone). */
export function removePidFileOf(file: string, pid: number): void {
  if (readPidFile(file) === pid) rmSync(file, { force: true });
}
