/**
 * Structured JSON-lines logs through pino: stdout for the daemon, stderr for one-shot runs. Under systemd (the
 * output is journald's own stream) each line becomes a journal entry with its priority and fields of its own.
 */
import { fstatSync, writeSync } from 'node:fs';
import pino from 'pino';
import type { Logger } from '../core/logger.js';
import { openNativeJournal, type JournalFields, type NativeJournal } from './journal-native.js';

const IDENTIFIER = 'autonomous-orchestrator';

export function createLogger(level: string, destination: 1 | 2 = 1): Logger {
  const stream = toJournal(destination) ? journalStream(destination, writeSync, loadNativeJournal(destination)) : pino.destination({ fd: destination, sync: true });
  return pino({ level, base: { name: IDENTIFIER }, timestamp: pino.stdTimeFunctions.isoTime }, stream) as unknown as Logger;
}

/** The native journal, or undefined after saying once, on the stream, why entries carry no fields of their own. */
function loadNativeJournal(fd: number): NativeJournal | undefined {
  try {
    return openNativeJournal();
  } catch (error) {
    writeSync(
      fd,
      `<4>${JSON.stringify({ level: 40, time: new Date().toISOString(), name: IDENTIFIER, msg: `journal entries carry no SERVICE=/TASK= fields: ${(error as Error).message}` })}\n`,
    );
    return undefined;
  }
}

/** pino's levels as syslog priorities (what journald stores as PRIORITY=, what `journalctl -p warning` filters on). */
const PRIORITY: Record<number, number> = { 10: 7, 20: 7, 30: 6, 40: 4, 50: 3, 60: 2 };

/**
 * Whether the stream is journald's own (systemd names it in JOURNAL_STREAM as device:inode): then each line is
 * sent as a native entry, or gets its priority as a "<N>" prefix, which journald takes as PRIORITY and strips.
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

/**
 * The log fields journald gets as fields of their own (`journalctl SERVICE=web`, `journalctl TASK=...`), by the
 * name pino's objects give them. Values are cut at MAX_FIELD characters; the whole line stays in MESSAGE.
 */
const FIELDS: Record<string, string> = {
  service: 'SERVICE',
  task: 'TASK',
  phase: 'PHASE',
  action: 'ACTION',
  plan: 'ACTION',
  escalation: 'ESCALATION',
  alert: 'ALERT',
  silence: 'SILENCE',
};
const MAX_FIELD = 512;

/**
 * A JSON line as a journal entry: MESSAGE is the line itself (so `journalctl -o cat` shows what it always did),
 * PRIORITY its level's, and the fields above when the line has them as strings or numbers.
 */
export function journalFields(line: string): JournalFields {
  const message = line.endsWith('\n') ? line.slice(0, -1) : line;
  let parsed: Record<string, unknown> = {};
  try {
    const value: unknown = JSON.parse(message);
    if (value !== null && typeof value === 'object') parsed = value as Record<string, unknown>;
  } catch {
    // not JSON: sent as it is, at the default priority
  }
  const fields: Array<[string, string]> = [
    ['MESSAGE', message],
    ['PRIORITY', String(PRIORITY[Number(parsed.level)] ?? 6)],
    ['SYSLOG_IDENTIFIER', IDENTIFIER],
  ];
  const seen = new Set<string>();
  for (const [key, name] of Object.entries(FIELDS)) {
    const value = parsed[key];
    if (seen.has(name) || (typeof value !== 'string' && typeof value !== 'number')) continue;
    seen.add(name);
    fields.push([name, String(value).slice(0, MAX_FIELD)]);
  }
  return fields;
}

/**
 * A line-at-a-time writer for journald: each JSON line as a native entry with its fields, or, without the native
 * journal (or when journald refuses an entry), on the stream with its syslog priority in front of it.
 */
export function journalStream(fd: number, write: (fd: number, text: string) => void = writeSync, native?: NativeJournal): { write(line: string): void } {
  let refusedOnce = false;
  return {
    write(line: string) {
      if (native) {
        const result = native.send(journalFields(line));
        if (result >= 0) return;
        if (!refusedOnce) {
          refusedOnce = true;
          write(
            fd,
            `<4>${JSON.stringify({ level: 40, name: IDENTIFIER, msg: `journald refused a native entry (errno ${-result}): this and such lines go to the stream, without fields` })}\n`,
          );
        }
      }
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
