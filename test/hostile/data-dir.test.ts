/**
 * A hostile data directory: the daemon (root) keeps its databases, token and lock there, so a directory another
 * user can write, owns, or can repoint is refused with the command that fixes it, before anything is written in it.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStores } from '../../src/store/stores.js';
import { prepareDataDir } from '../../src/store/data-dir.js';
import { OrchestratorError } from '../../src/core/errors.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli', 'main.js');
const SACRIFICIAL_CONTENT = 'planted before the daemon started\n';
const isRoot = process.getuid?.() === 0;

let work: string;
let dataDir: string;

beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), 'orchestrator-hostile-data-'));
  dataDir = path.join(work, 'data');
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** A data directory with `mode` holding one sacrificial file (mode 0644). */
function plantDirectory(directory: string, mode: number): string {
  mkdirSync(directory);
  chmodSync(directory, mode);
  const file = path.join(directory, 'sacrificial');
  writeFileSync(file, SACRIFICIAL_CONTENT);
  chmodSync(file, 0o644);
  return file;
}

function expectUntouched(directory: string, mode: number): void {
  expect(statSync(directory).mode & 0o7777).toBe(mode);
  expect(readdirSync(directory)).toEqual(['sacrificial']);
  const file = path.join(directory, 'sacrificial');
  expect(readFileSync(file, 'utf8')).toBe(SACRIFICIAL_CONTENT);
  expect(statSync(file).mode & 0o7777).toBe(0o644);
}

function refusal(directory: string): OrchestratorError {
  try {
    openStores(directory).close();
  } catch (error) {
    expect(error).toBeInstanceOf(OrchestratorError);
    expect((error as OrchestratorError).code).toBe('DATA_DIR');
    return error as OrchestratorError;
  }
  throw new Error(`openStores(${directory}) accepted a hostile data directory`);
}

describe('a hostile data directory', () => {
  it('refuses a world-writable one with the chmod to run, and writes nothing in it', () => {
    plantDirectory(dataDir, 0o777);
    expect(refusal(dataDir).message).toBe(`data directory ${dataDir} is group/world-writable (mode 0777): run chmod 700 ${dataDir}`);
    expectUntouched(dataDir, 0o777);
  });

  it('refuses a group-writable one', () => {
    plantDirectory(dataDir, 0o770);
    expect(refusal(dataDir).message).toBe(`data directory ${dataDir} is group/world-writable (mode 0770): run chmod 700 ${dataDir}`);
    expectUntouched(dataDir, 0o770);
  });

  it.skipIf(!isRoot)("refuses another user's directory with the chown to run", () => {
    plantDirectory(dataDir, 0o700);
    chownSync(dataDir, 4242, 4242);
    expect(refusal(dataDir).message).toBe(`data directory ${dataDir} is owned by uid 4242, not this user (uid 0): run chown 0 ${dataDir}`);
    expectUntouched(dataDir, 0o700);
    expect(statSync(dataDir).uid).toBe(4242);
  });

  it('refuses a symbolic link, says where it points, and writes nothing through it', () => {
    const real = path.join(work, 'elsewhere');
    plantDirectory(real, 0o700);
    symlinkSync(real, dataDir);
    expect(refusal(dataDir).message).toBe(`data directory ${dataDir} is a symbolic link to ${real}, which could be repointed: set --data-dir to the real path ${real}`);
    expectUntouched(real, 0o700);
  });

  it('refuses a file in its place, and leaves the file as it is', () => {
    writeFileSync(dataDir, SACRIFICIAL_CONTENT);
    chmodSync(dataDir, 0o644);
    expect(refusal(dataDir).message).toBe(`data directory ${dataDir} is not a directory: remove it or set --data-dir to a directory`);
    expect(readFileSync(dataDir, 'utf8')).toBe(SACRIFICIAL_CONTENT);
    expect(statSync(dataDir).mode & 0o7777).toBe(0o644);
  });

  it('creates a missing one (and its parents) with mode 0700 and accepts it', () => {
    const nested = path.join(work, 'var', 'lib', 'orchestrator');
    prepareDataDir(nested);
    expect(statSync(nested).mode & 0o7777).toBe(0o700);
    const stores = openStores(nested);
    stores.close();
    expect(readdirSync(nested)).toContain('tasks.db');
  });
});

describe('the CLI on a hostile data directory', () => {
  const config = path.join(tmpdir(), `orchestrator-hostile-config-${process.pid}.yaml`);
  writeFileSync(
    config,
    'cycle: { watchFailedUnits: false }\nweb: { port: 0 }\nhost: { disk: { maxUsedPercent: 100 }, inodes: { maxUsedPercent: 100 }, memory: { maxUsedPercent: 100 } }\n',
  );
  afterAll(() => rmSync(config, { force: true }));

  it('prints the refusal as one sentence and exits 1, writing nothing', async () => {
    plantDirectory(dataDir, 0o777);
    const result = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [CLI, 'run', '--once', '-c', config, '-d', dataDir], { timeout: 60_000 }, (error, _stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr });
      });
    });
    expect(result.stderr).toBe(`error: data directory ${dataDir} is group/world-writable (mode 0777): run chmod 700 ${dataDir}\n`);
    expect(result.code).toBe(1);
    expectUntouched(dataDir, 0o777);
  });
});
