/** Secrets read from files (tokens, passwords, the fleet store's URL): trimmed of their newline, bounded in size. */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MAX_SECRET_FILE_BYTES, readSecret } from '../../src/notify/create-notifiers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'orchestrator-secret-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readSecret', () => {
  it('reads a file without its final newline, and says which file cannot be read', () => {
    const file = path.join(dir, 'url');
    writeFileSync(file, 'postgres://fleet@db/fleet\n');
    expect(readSecret('the URL', undefined, file, {})).toBe('postgres://fleet@db/fleet');
    expect(() => readSecret('the URL', undefined, path.join(dir, 'none'), {})).toThrow(/^the URL: cannot read .*none \(ENOENT\)$/);
  });

  it('refuses a file larger than a secret can be, before reading it', () => {
    const file = path.join(dir, 'big');
    writeFileSync(file, 'x'.repeat(MAX_SECRET_FILE_BYTES + 1));
    expect(() => readSecret('the URL', undefined, file, {})).toThrow(`the URL: ${file} is larger than 64 KiB: not a secret file`);
    writeFileSync(file, 'x'.repeat(MAX_SECRET_FILE_BYTES));
    expect(readSecret('the URL', undefined, file, {})).toHaveLength(MAX_SECRET_FILE_BYTES);
  });
});
