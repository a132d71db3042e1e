/**
 * A hostile web token file: the daemon runs as root, so whatever sits at DATA/web-token (a link, a hard link, another
 * user's file, a directory, a huge file) must be refused without reading another file as the token or changing it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadOrCreateToken } from '../../src/web/auth.js';
import { OrchestratorError } from '../../src/core/errors.js';
import { seed, serverFor, type Seeded } from '../web/seed.js';

const SACRIFICIAL_CONTENT = 'a secret of another program, long enough to pass for a token\n';
const isRoot = process.getuid?.() === 0;

let work: string;
let dataDir: string;
let tokenFile: string;
let sacrificial: string;

beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), 'orchestrator-hostile-token-'));
  dataDir = path.join(work, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  tokenFile = path.join(dataDir, 'web-token');
  mkdirSync(path.join(work, 'outside'));
  sacrificial = path.join(work, 'outside', 'secret');
  writeFileSync(sacrificial, SACRIFICIAL_CONTENT);
  chmodSync(sacrificial, 0o644);
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

function expectSacrificialUntouched(): void {
  expect(readFileSync(sacrificial, 'utf8')).toBe(SACRIFICIAL_CONTENT);
  expect(statSync(sacrificial).mode & 0o7777).toBe(0o644);
  expect(statSync(sacrificial).nlink).toBeGreaterThanOrEqual(1);
}

function refusal(file: string): OrchestratorError {
  try {
    loadOrCreateToken(file);
  } catch (error) {
    expect(error).toBeInstanceOf(OrchestratorError);
    return error as OrchestratorError;
  }
  throw new Error(`loadOrCreateToken(${file}) accepted a hostile token file`);
}

describe('a hostile web token file', () => {
  it('refuses a symbolic link to another file, and neither reads nor chmods its target', () => {
    symlinkSync(sacrificial, tokenFile);
    expect(refusal(tokenFile).message).toBe(`${tokenFile} is a symbolic link; the web token must be a regular file: remove it (rm ${tokenFile}) and restart to generate a new one`);
    expectSacrificialUntouched();
    expect(lstatSync(tokenFile).isSymbolicLink()).toBe(true);
  });

  it('refuses the link when the dashboard server starts, as the daemon does', () => {
    let seeded: Seeded | undefined;
    try {
      seeded = seed();
      const link = path.join(seeded.dataDir, 'web-token');
      symlinkSync(sacrificial, link);
      expect(() => serverFor(seeded!)).toThrow(`${link} is a symbolic link; the web token must be a regular file`);
      expectSacrificialUntouched();
    } finally {
      seeded?.cleanup();
    }
  });

  it('refuses a dangling symbolic link instead of creating its target', () => {
    const target = path.join(work, 'outside', 'created-through-the-link');
    symlinkSync(target, tokenFile);
    expect(refusal(tokenFile).message).toMatch(/is a symbolic link; the web token must be a regular file/);
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(path.join(work, 'outside'))).toEqual(['secret']);
    expectSacrificialUntouched();
  });

  it('refuses a hard link to another file, and does not chmod it', () => {
    linkSync(sacrificial, tokenFile);
    expect(refusal(tokenFile).message).toBe(
      `${tokenFile} has 2 hard links; the web token must be this user's own regular file: remove it (rm ${tokenFile}) and restart to generate a new one`,
    );
    expectSacrificialUntouched();
  });

  it.skipIf(!isRoot)("refuses another user's file (its content may be known to that user), and does not chmod it", () => {
    writeFileSync(tokenFile, 'planted-token-of-another-user-0123456789\n');
    chmodSync(tokenFile, 0o644);
    chownSync(tokenFile, 4242, 4242);
    expect(refusal(tokenFile).message).toBe(
      `${tokenFile} is owned by uid 4242, not this user (uid 0); the web token must be this user's own regular file: remove it (rm ${tokenFile}) and restart to generate a new one`,
    );
    expect(statSync(tokenFile).mode & 0o7777).toBe(0o644);
    expect(statSync(tokenFile).uid).toBe(4242);
    expectSacrificialUntouched();
  });

  it('refuses a directory in its place with a sentence', () => {
    mkdirSync(tokenFile, { mode: 0o755 });
    expect(refusal(tokenFile).message).toMatch(/web-token is not a regular file; the web token must be this user's own regular file/);
    expect(statSync(tokenFile).mode & 0o7777).toBe(0o755);
    expectSacrificialUntouched();
  });

  it('refuses a file larger than 4 KiB without taking it for a token, and leaves it as it is', () => {
    const big = 'x'.repeat(1024 * 1024);
    writeFileSync(tokenFile, big);
    chmodSync(tokenFile, 0o644);
    expect(refusal(tokenFile).message).toMatch(/web-token is larger than 4096 bytes; the web token must be this user's own regular file/);
    expect(readFileSync(tokenFile, 'utf8')).toBe(big);
    expect(statSync(tokenFile).mode & 0o7777).toBe(0o644);
    expectSacrificialUntouched();
  });

  it('still tightens its own 0644 token file (through the descriptor) and accepts it', () => {
    writeFileSync(tokenFile, 'an-own-token-0123456789abcdef\n');
    chmodSync(tokenFile, 0o644);
    expect(loadOrCreateToken(tokenFile)).toEqual({ token: 'an-own-token-0123456789abcdef', file: tokenFile, created: false });
    expect(statSync(tokenFile).mode & 0o7777).toBe(0o600);
    expectSacrificialUntouched();
  });

  it('creates a missing token file 0600 in a new directory 0700', () => {
    const nested = path.join(work, 'etc', 'orchestrator', 'web-token');
    const created = loadOrCreateToken(nested);
    expect(created).toMatchObject({ file: nested, created: true });
    expect(statSync(nested).mode & 0o7777).toBe(0o600);
    expect(statSync(path.dirname(nested)).mode & 0o7777).toBe(0o700);
    expect(readFileSync(nested, 'utf8')).toBe(`${created.token}\n`);
    expectSacrificialUntouched();
  });
});
