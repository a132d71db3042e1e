/** Structured JSON-lines logs through pino: stdout for the daemon (journald keeps them), stderr for one-shot runs. */
import { fstatSync, writeSync } from 'node:fs';
import pino from 'pino';
import type { Logger } from '../core/logger.js';

export function createLogger(level: string, destination: 1 | 2 = 1): Logger {
  const stream = toJournal(destination) ? journalStream(destination) : pino.destination({ fd: destination, sync: true });
  return pino({ level, base: { name: 'autonomous-orchestrator' }, timestamp: pino.stdTimeFunctions.isoTime }, stream) as unknown as Logger;
}

/** pino's levels as syslog priorities (what journald stores as PRIORITY=, what `journalctl -p warning` filters on). */
const PRIORITY: Record<number, number> = { 10: 7, 20: 7, 30: 6, 40: 4, 50: 3, 60: 2 };

/**
 * Whether the stream is journald's own (systemd names it in JOURNAL_STREAM as device:inode): then each line gets
 * its priority as a "<N>" prefix, which journald takes as the entry's PRIORITY and strips.
 */
export function toJournal(fd: number, env: NodeJS.ProcessEnv = process.env): boolean {
  const [device, inode] = (env.JOURNAL_STREAM ?? '').split(':');
  if (!device || !inode) return false;
  try {
    const stat = fstatSync(fd, { bigint: true });
    return String(stat.dev) === device && String(stat.ino) === inode;
  } catch {
    return false;
  }
}

/** A line-at-a-time writer that puts each JSON line's syslog priority in front of it. */
export function journalStream(fd: number, write: (fd: number, text: string) => void = writeSync): { write(line: string): void } {
  return {
    write(line: string) {
      const level = Number(/"level":(\d+)/.exec(line)?.[1] ?? 30);
      write(fd, `<${PRIORITY[level] ?? 6}>${line}`);
    },
  };
}

/** The same logs into a file (the demo keeps its terminal for sentences). */
export function createFileLogger(level: string, file: string): Logger {
  return pino(
    { level, base: { name: 'autonomous-orchestrator' }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: file, sync: true, mkdir: true }),
  ) as unknown as Logger;
}
