import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { captureStream, LogWriter } from './log-capture.js';

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(path.join(tmpdir(), 'log-capture-'));
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

const at = Date.parse('2026-12-02T08:00:00.000Z');

describe('LogWriter', () => {
  it('stamps each line with the time and the stream, creating the directory 0700 and the file 0600', () => {
    const file = path.join(directory, 'logs', 'app.log');
    const writer = new LogWriter(file, () => at);
    writer.writeLines('out', ['one', 'two']);
    writer.writeLines('err', ['three']);
    writer.close();
    expect(readFileSync(file, 'utf8')).toBe('2026-12-02T08:00:00.000Z out: one\n2026-12-02T08:00:00.000Z out: two\n2026-12-02T08:00:00.000Z err: three\n');
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('rotates to .1 at the size limit, replacing the older .1', () => {
    const file = path.join(directory, 'app.log');
    writeFileSync(`${file}.1`, 'oldest\n');
    const writer = new LogWriter(file, () => at, 120);
    for (let line = 0; line < 5; line++) writer.writeLines('out', [`line ${line}`]);
    writer.close();
    expect(readFileSync(`${file}.1`, 'utf8')).toBe('2026-12-02T08:00:00.000Z out: line 0\n2026-12-02T08:00:00.000Z out: line 1\n2026-12-02T08:00:00.000Z out: line 2\n');
    expect(readFileSync(file, 'utf8')).toBe('2026-12-02T08:00:00.000Z out: line 3\n2026-12-02T08:00:00.000Z out: line 4\n');
  });

  it('never writes through a link at the log path: the error is kept, the target untouched', () => {
    const target = path.join(directory, 'target');
    writeFileSync(target, 'precious\n');
    const file = path.join(directory, 'app.log');
    symlinkSync(target, file);
    const writer = new LogWriter(file, () => at);
    writer.writeLines('out', ['attack']);
    expect(writer.lastError).toMatch(/ELOOP|symbolic link/);
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
  });
});

describe('captureStream', () => {
  it('splits chunks into lines, writes a last line without a newline at the end, and cuts endless lines', async () => {
    const file = path.join(directory, 'app.log');
    const writer = new LogWriter(file, () => at);
    const stream = new PassThrough();
    const done = captureStream(stream, writer, 'out');
    stream.write('hel');
    stream.write('lo\r\nwor');
    stream.write(`ld\n${'x'.repeat(9000)}`);
    stream.end('tail');
    await done;
    writer.close();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines.slice(0, 2)).toEqual(['2026-12-02T08:00:00.000Z out: hello', '2026-12-02T08:00:00.000Z out: world']);
    expect(lines).toHaveLength(4);
    expect(lines[2]!.endsWith(`out: ${'x'.repeat(8192)}`)).toBe(true);
    expect(lines[3]!.endsWith(`out: ${'x'.repeat(808)}tail`)).toBe(true);
  });
});
