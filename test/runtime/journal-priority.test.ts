/**
 * Log lines reach journald with their syslog priority and fields of their own (SERVICE=, TASK=, PHASE=, ACTION=):
 * native entries when libsystemd can be loaded, else a "<N>" prefix; only on journald's own stream. The lab's
 * deploy test reads them back with journalctl.
 */
import { describe, expect, it } from 'vitest';
import { closeSync, fstatSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { journalFields, journalStream, toJournal } from '../../src/runtime/logger.js';
import type { JournalFields } from '../../src/runtime/journal-native.js';

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

  it('makes a native entry of a line: the line as MESSAGE, its priority, and the service, task, phase and action', () => {
    const line = `${JSON.stringify({ level: 40, msg: 'acting', service: 'web', task: 't1', phase: 1, plan: 'restart_unit(unit=web.service)', cycle: { kind: 'full' } })}\n`;
    expect(Object.fromEntries(journalFields(line))).toEqual({
      MESSAGE: line.slice(0, -1),
      PRIORITY: '4',
      SYSLOG_IDENTIFIER: 'autonomous-orchestrator',
      SERVICE: 'web',
      TASK: 't1',
      PHASE: '1',
      ACTION: 'restart_unit(unit=web.service)',
    });
    // An explicit action wins over the plan; objects are not fields; long values are cut.
    const fields = Object.fromEntries(journalFields(JSON.stringify({ level: 30, action: 'restart_unit', plan: 'x', service: 'w'.repeat(2000), task: { id: 1 } })));
    expect(fields).toMatchObject({ ACTION: 'restart_unit', PRIORITY: '6' });
    expect(fields.SERVICE).toHaveLength(512);
    expect(fields.TASK).toBeUndefined();
    expect(Object.fromEntries(journalFields('not json'))).toEqual({ MESSAGE: 'not json', PRIORITY: '6', SYSLOG_IDENTIFIER: 'autonomous-orchestrator' });
  });

  it('sends each line natively, and when journald refuses one says so once and writes it with its prefix', () => {
    const sent: JournalFields[] = [];
    let refuse = false;
    const written: string[] = [];
    const stream = journalStream(1, (_fd, text) => void written.push(text), { send: (fields) => (sent.push(fields), refuse ? -1 : 0) });
    stream.write('{"level":30,"msg":"a","service":"web"}\n');
    expect(sent).toHaveLength(1);
    expect(written).toEqual([]);
    refuse = true;
    stream.write('{"level":50,"msg":"b"}\n');
    stream.write('{"level":30,"msg":"c"}\n');
    expect(written).toHaveLength(3);
    expect(written[0]).toMatch(/^<4>.*journald refused a native entry \(errno 1\)/);
    expect(written.slice(1)).toEqual(['<3>{"level":50,"msg":"b"}\n', '<6>{"level":30,"msg":"c"}\n']);
  });
});
