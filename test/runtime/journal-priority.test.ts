/** Log lines reach journald with their syslog priority: a "<N>" prefix, only on journald's own stream. */
import { describe, expect, it } from 'vitest';
import { closeSync, fstatSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { journalStream, toJournal } from '../../src/runtime/logger.js';

describe('journald priorities', () => {
  it('prefixes each JSON line with the priority of its level', () => {
    const written: string[] = [];
    const stream = journalStream(1, (_fd, text) => void written.push(text));
    for (const level of [20, 30, 40, 50, 60]) stream.write(`{"level":${level},"msg":"m"}\n`);
    expect(written.map((line) => line.slice(0, 3))).toEqual(['<7>', '<6>', '<4>', '<3>', '<2>']);
    expect(written[2]).toBe('<4>{"level":40,"msg":"m"}\n');
  });

  it("knows journald's stream by the device and inode systemd names in JOURNAL_STREAM, and nothing else", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'orchestrator-journal-'));
    const fd = openSync(path.join(dir, 'out'), 'w');
    try {
      const stat = fstatSync(fd, { bigint: true });
      expect(toJournal(fd, { JOURNAL_STREAM: `${stat.dev}:${stat.ino}` })).toBe(true);
      expect(toJournal(fd, { JOURNAL_STREAM: `${stat.dev}:${stat.ino + 1n}` })).toBe(false);
      expect(toJournal(fd, {})).toBe(false);
      expect(toJournal(fd, { JOURNAL_STREAM: 'garbage' })).toBe(false);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
