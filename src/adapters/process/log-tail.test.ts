import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { lineTime, shareLines, tailLines, withinWindow } from './log-tail.js';

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(path.join(tmpdir(), 'log-tail-'));
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

describe('tailLines', () => {
  it('gives the last lines, reading at most maxBytes from the end and dropping the line that cut', () => {
    const file = path.join(directory, 'big.log');
    writeFileSync(file, Array.from({ length: 100 }, (_, index) => `line ${index}`).join('\n') + '\n');
    expect(tailLines(file, 3).lines).toEqual(['line 97', 'line 98', 'line 99']);
    expect(tailLines(file, 100, 20).lines).toEqual(['line 98', 'line 99']);
    expect(tailLines(file, 0).lines).toEqual([]);
  });

  it('reads nothing from a missing file, a directory, or a fifo (without blocking)', () => {
    expect(tailLines(path.join(directory, 'none'), 5)).toEqual({ lines: [], mtimeMs: 0 });
    expect(tailLines(directory, 5).lines).toEqual([]);
    const fifo = path.join(directory, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(tailLines(fifo, 5).lines).toEqual([]);
  });
});

describe('lineTime and withinWindow', () => {
  it('reads the capture’s stamp and common ISO-like stamps of log files', () => {
    expect(lineTime('2026-12-02T08:00:00.000Z out: x')).toBe(Date.parse('2026-12-02T08:00:00.000Z'));
    expect(lineTime('2026-12-02T08:00:00+01:00 x')).toBe(Date.parse('2026-12-02T07:00:00.000Z'));
    expect(lineTime('[2026-12-02 08:00:00,250+0000] x')).toBe(Date.parse('2026-12-02T08:00:00.250Z'));
    expect(lineTime('Dec  2 08:00:00 host x')).toBeUndefined();
  });

  it('keeps stamped lines by their time and the others by the file’s mtime', () => {
    const since = Date.parse('2026-12-02T08:00:00.000Z');
    const tail = { lines: ['2026-12-02T07:59:59.000Z out: old', 'no stamp', '2026-12-02T08:00:01.000Z out: new'], mtimeMs: since + 1 };
    expect(withinWindow(tail, since)).toEqual(['no stamp', '2026-12-02T08:00:01.000Z out: new']);
    expect(withinWindow({ ...tail, mtimeMs: since - 1 }, since)).toEqual(['2026-12-02T08:00:01.000Z out: new']);
    expect(withinWindow(tail, undefined)).toEqual(tail.lines);
  });
});

describe('shareLines', () => {
  it('shares the budget equally, newest lines first, handing what one source does not use to the others', () => {
    const a = ['a1', 'a2', 'a3', 'a4'];
    const b = ['b1', 'b2', 'b3', 'b4'];
    expect(shareLines([a, b], 4)).toEqual(['a3', 'a4', 'b3', 'b4']);
    expect(shareLines([a, b], 5)).toEqual(['a2', 'a3', 'a4', 'b3', 'b4']);
    expect(shareLines([a, ['b1']], 4)).toEqual(['a2', 'a3', 'a4', 'b1']);
    expect(shareLines([[], b], 2)).toEqual(['b3', 'b4']);
    expect(shareLines([a, b], 100)).toEqual([...a, ...b]);
    expect(shareLines([a, b, ['c1']], 2)).toEqual(['a4', 'b4']);
  });
});
