/**
 * A supervised child's stdout and stderr, kept in LOGDIR/<service>.log as timestamped lines
 * ("2026-12-02T08:00:00.000Z out: listening"), so `logs(since)` can cut a window and a human can read it. The file
 * is rotated to `.1` at a size limit, created 0600 in a 0700 directory, and never written through a link.
 */
import { closeSync, constants, fstatSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';

/** Rotate to .1 past this size: the current and the previous file together hold at most twice as much. */
export const MAX_LOG_BYTES = 10 * 1024 * 1024;
/** A line longer than this is cut into pieces (a child printing without newlines cannot grow memory). */
const MAX_LINE_CHARS = 8 * 1024;

/** Appends timestamped lines to one log file, keeping it open and rotating it at `maxBytes`. */
export class LogWriter {
  private fd: number | undefined;
  private size = 0;
  /** The last error writing the file (a full disk): capture goes on, the child is never blocked by it. */
  lastError: string | undefined;

  constructor(
    readonly file: string,
    private readonly now: () => number,
    private readonly maxBytes = MAX_LOG_BYTES,
  ) {}

  /** Writes lines of one stream ('out' or 'err'), each prefixed with the time and the stream. */
  writeLines(stream: 'out' | 'err', lines: readonly string[]): void {
    if (lines.length === 0) return;
    const stamp = new Date(this.now()).toISOString();
    const text = lines.map((line) => `${stamp} ${stream}: ${line}\n`).join('');
    try {
      const fd = this.open();
      if (this.size > 0 && this.size + Buffer.byteLength(text) > this.maxBytes) {
        this.rotate();
        return this.writeLines(stream, lines);
      }
      this.size += writeSync(fd, text);
      this.lastError = undefined;
    } catch (error) {
      this.lastError = (error as Error).message;
      this.close();
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private open(): number {
    if (this.fd !== undefined) return this.fd;
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    this.fd = openSync(this.file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    this.size = fstatSync(this.fd).size;
    return this.fd;
  }

  private rotate(): void {
    this.close();
    renameSync(this.file, `${this.file}.1`);
    this.size = 0;
  }
}

/** Feeds a child's stream into the writer line by line; a last line without a newline is written at the end. */
export function captureStream(stream: Readable, writer: LogWriter, name: 'out' | 'err'): Promise<void> {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    const pieces = lines.flatMap(cut);
    while (partial.length > MAX_LINE_CHARS) {
      pieces.push(partial.slice(0, MAX_LINE_CHARS));
      partial = partial.slice(MAX_LINE_CHARS);
    }
    writer.writeLines(
      name,
      pieces.map((line) => line.replace(/\r$/, '')),
    );
  });
  return new Promise((resolve) => {
    const finish = () => {
      if (partial) writer.writeLines(name, cut(partial));
      partial = '';
      resolve();
    };
    stream.once('end', finish);
    stream.once('error', finish);
  });
}

function cut(line: string): string[] {
  if (line.length <= MAX_LINE_CHARS) return [line];
  const pieces: string[] = [];
  for (let start = 0; start < line.length; start += MAX_LINE_CHARS) pieces.push(line.slice(start, start + MAX_LINE_CHARS));
  return pieces;
}
