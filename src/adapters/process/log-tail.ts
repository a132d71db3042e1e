/**
 * Reading a service's logs back: the tail of a file (at most 1 MiB from its end, never through a link, never
 * blocking on a fifo), a window by time (a line's own timestamp, else the file's mtime), and a line budget shared
 * between the captured output and the service's own log files.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

const MAX_TAIL_BYTES = 1024 * 1024;

export interface FileTail {
  lines: string[];
  /** The file's modification time (wall ms); 0 when it could not be read. */
  mtimeMs: number;
}

/** The last `count` non-empty lines of a regular file; no lines when it is missing, a link or not a file. */
export function tailLines(file: string, count: number, maxBytes = MAX_TAIL_BYTES): FileTail {
  if (count <= 0) return { lines: [], mtimeMs: 0 };
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return { lines: [], mtimeMs: 0 };
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return { lines: [], mtimeMs: 0 };
    const length = Math.min(info.size, maxBytes);
    const buffer = Buffer.alloc(length);
    const read = readSync(fd, buffer, 0, length, info.size - length);
    const lines = buffer.toString('utf8', 0, read).split('\n');
    if (length < info.size) lines.shift(); // The first line was cut by the window.
    return { lines: lines.filter((line) => line.length > 0).slice(-count), mtimeMs: info.mtimeMs };
  } catch {
    return { lines: [], mtimeMs: 0 };
  } finally {
    closeSync(fd);
  }
}

const LEADING_TIME = /^\[?(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?)(Z|[+-]\d{2}:?\d{2})?/;

/** The time at the start of a line (the capture's ISO stamp, or a log file's own ISO-like stamp), or undefined. */
export function lineTime(line: string): number | undefined {
  const match = LEADING_TIME.exec(line);
  if (!match) return undefined;
  const zone = match[3] ? (match[3] === 'Z' ? 'Z' : match[3].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')) : '';
  const time = Date.parse(`${match[1]}T${match[2]!.replace(',', '.').replace(/(\.\d{3})\d+$/, '$1')}${zone}`);
  return Number.isNaN(time) ? undefined : time;
}

/** The lines inside the window: by their own time where they have one, else by the file's modification time. */
export function withinWindow(tail: FileTail, since: number | undefined): string[] {
  if (since === undefined) return tail.lines;
  return tail.lines.filter((line) => (lineTime(line) ?? tail.mtimeMs) >= since);
}

/**
 * Shares a budget of `total` lines among sources, newest lines of each kept: every source gets an equal part,
 * what one does not use goes to the others, and the first source (the captured output) gets the remainder.
 * Sources are returned in order, concatenated.
 */
export function shareLines(sources: readonly (readonly string[])[], total: number): string[] {
  const given = sources.map(() => 0);
  let left = total;
  let open = sources.map((_, index) => index).filter((index) => sources[index]!.length > 0);
  while (left > 0 && open.length > 0) {
    const part = Math.max(1, Math.floor(left / open.length));
    for (const index of open) {
      const take = Math.min(part, sources[index]!.length - given[index]!, left);
      given[index]! += take;
      left -= take;
    }
    open = open.filter((index) => given[index]! < sources[index]!.length);
  }
  return sources.flatMap((lines, index) => (given[index]! > 0 ? lines.slice(-given[index]!) : []));
}
