/**
 * A supervised process's stdout and stderr, kept in DATA/process-logs/<service>.log as timestamped lines
 * ("2026-12-02T08:00:00.000Z out: …"), rotated to .1 at a size limit; and the tail of a log file, read without
 * following a link and without reading more than a bounded amount from its end.
 */
import { closeSync, constants, fstatSync, mkdirSync, openSync, readSync, renameSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';

const MAX_LOG_BYTES = 10 * 1024 * 1024;
const MAX_TAIL_BYTES = 1024 * 1024;
const MAX_LINE = 8 * 1024;

/** Appends the lines of `stream` to `file`, each with the time and the stream's name. */
export function captureLines(stream: Readable, file: string, name: 'out' | 'err', now: () => number): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    if (partial.length > MAX_LINE) {
      lines.push(partial);
      partial = '';
    }
    if (lines.length > 0) append(file, lines.map((line) => `${new Date(now()).toISOString()} ${name}: ${line.slice(0, MAX_LINE)}\n`).join(''));
  });
  stream.on('end', () => {
    if (partial) append(file, `${new Date(now()).toISOString()} ${name}: ${partial.slice(0, MAX_LINE)}\n`);
  });
}

/** Appends text, rotating the file to .1 past the size limit. */
export function append(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    if (statSync(file).size > MAX_LOG_BYTES) renameSync(file, `${file}.1`);
  } catch {
    // Not there yet.
  }
  const fd = openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** The last `lines` lines of a file (at most 1 MiB from its end), never through a link; [] when it cannot be read. */
export function tailLines(file: string, lines: number): { lines: string[]; mtimeMs: number } {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return { lines: [], mtimeMs: 0 };
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return { lines: [], mtimeMs: 0 };
    const length = Math.min(info.size, MAX_TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, info.size - length);
    const text = buffer.toString('utf8');
    const all = text.split('\n').filter((line) => line.length > 0);
    if (length < info.size) all.shift(); // The first line was cut.
    return { lines: all.slice(-lines), mtimeMs: info.mtimeMs };
  } finally {
    closeSync(fd);
  }
}

/** The time at the start of a captured line, or undefined. */
export function lineTime(line: string): number | undefined {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z) /.exec(line);
  return match ? Date.parse(match[1]!) : undefined;
}
