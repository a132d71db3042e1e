/**
 * Hostile paths against the real executor and the real file system: symbolic links planted in a service's
 * runtime tree or in a cleanup directory, a root that resolves into the data directory, a pid "file" that is a
 * link, a mount inside a cleanup directory, paths that try to climb out. Each case asserts the refusal and that
 * a sacrificial file outside the scope kept its content (sha256).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync, existsSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../../src/config/load.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import type { ExecutionScope } from '../../src/actions/executor.js';
import { fileExecutor } from '../support/file-executor.js';
import { nodeFileSystem } from '../../src/adapters/host/node-file-system.js';
import { removeBeneath } from '../../src/adapters/host/beneath.js';
import { PathRefusedError, PolicyRefusal } from '../../src/core/errors.js';
import { cleanupOnFullFilesystem } from '../../src/phases/quick-fix.js';
import { validateAction } from '../../src/actions/catalog.js';
import { scopeViolation } from '../../src/actions/scope.js';

const ROOT = process.getuid?.() === 0;
if (!ROOT) console.warn('hostile file actions: not root: the cases that mount a tmpfs are skipped');

let base: string;
let victim: string;
let victimSha: string;

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const DAY = 86_400_000;

function configFor(yaml: string): CompiledConfig {
  return parseConfigText(`dataDir: ${base}/data\n${yaml}`, 'hostile');
}

const executorFor = (config: CompiledConfig) => fileExecutor(config);

function scopeFor(config: CompiledConfig, runtimeDirectories: string[] = []): ExecutionScope {
  return { service: config.services[0]!, dependencyUnits: [], runtimeDirectories, configTestFor: () => undefined };
}

/** Makes a file look `ageMs` old. */
function age(file: string, ageMs: number): void {
  const when = new Date(Date.now() - ageMs);
  utimesSync(file, when, when);
}

beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'orchestrator-hostile-'));
  mkdirSync(path.join(base, 'data'), { mode: 0o700 });
  mkdirSync(path.join(base, 'victim'));
  victim = path.join(base, 'victim', 'important.db');
  writeFileSync(victim, 'precious data\n');
  victimSha = sha(victim);
});

afterEach(() => {
  if (ROOT) execFileSync('sh', ['-c', `grep -o " ${base}/[^ ]*" /proc/mounts | xargs -r -n1 umount -l`], { stdio: 'ignore' });
  rmSync(base, { recursive: true, force: true });
});

describe('remove_stale_file', () => {
  it('refuses a file behind a symlinked directory in the runtime tree; the target survives', async () => {
    const runtime = path.join(base, 'run', 'hx');
    mkdirSync(runtime, { recursive: true });
    symlinkSync(path.join(base, 'victim'), path.join(runtime, 'link'));
    const config = configFor(`services:\n  - { name: hx, unit: hx.service }\n`);
    const action = { type: 'remove_stale_file' as const, params: { path: `${runtime}/link/important.db` } };
    await expect(executorFor(config).execute(action, scopeFor(config, [runtime]))).rejects.toThrow(/link is a symbolic link/);
    await expect(executorFor(config).execute(action, scopeFor(config, [runtime]))).rejects.toBeInstanceOf(PolicyRefusal);
    expect(sha(victim)).toBe(victimSha);
  });

  it('refuses a runtime root that is itself a link into the data directory', async () => {
    writeFileSync(path.join(base, 'data', 'tasks.db'), 'not really a database');
    const before = sha(path.join(base, 'data', 'tasks.db'));
    mkdirSync(path.join(base, 'run'));
    symlinkSync(path.join(base, 'data'), path.join(base, 'run', 'hx'));
    const config = configFor(`services:\n  - { name: hx, unit: hx.service }\n`);
    const action = { type: 'remove_stale_file' as const, params: { path: `${base}/run/hx/tasks.db` } };
    await expect(executorFor(config).execute(action, scopeFor(config, [`${base}/run/hx`]))).rejects.toThrow(/inside the orchestrator's data directory/);
    expect(sha(path.join(base, 'data', 'tasks.db'))).toBe(before);
  });

  it('never removes a configured pid file that is a link, nor its target', async () => {
    const runtime = path.join(base, 'run', 'app');
    mkdirSync(runtime, { recursive: true });
    symlinkSync(victim, path.join(runtime, 'app.pid'));
    const config = configFor(`services:\n  - { name: app, unit: app.service, runtimeFiles: [${runtime}/app.pid] }\n`);
    const result = await executorFor(config).execute({ type: 'remove_stale_file', params: { path: `${runtime}/app.pid` } }, scopeFor(config));
    expect(result.detail).toMatch(/left alone/);
    expect(existsSync(path.join(runtime, 'app.pid'))).toBe(true);
    expect(sha(victim)).toBe(victimSha);
  });

  it('removes a real stale lock file in a real directory of the runtime tree (positive control)', async () => {
    const runtime = path.join(base, 'run', 'hx');
    mkdirSync(path.join(runtime, 'real'), { recursive: true });
    writeFileSync(path.join(runtime, 'real', 'important.db'), 'stale');
    const config = configFor(`services:\n  - { name: hx, unit: hx.service }\n`);
    const result = await executorFor(config).execute({ type: 'remove_stale_file', params: { path: `${runtime}/real/important.db` } }, scopeFor(config, [runtime]));
    expect(result).toMatchObject({ ok: true });
    expect(existsSync(path.join(runtime, 'real', 'important.db'))).toBe(false);
  });

  it('refuses paths that climb out, doubled slashes and neighbours of a runtime file in a shared directory', async () => {
    const config = configFor(`services:\n  - { name: app, unit: app.service, runtimeFiles: [/run/app.pid] }\n`);
    const scope = scopeFor(config);
    for (const path of ['/run/app/../../etc/shadow', '/run/./app.pid/../x']) expect(validateAction({ type: 'remove_stale_file', params: { path } }).ok).toBe(false);
    for (const file of ['//etc/shadow', '/run//app.pid', '/etc/shadow', '/run/other.pid', '/etc/sudoers']) {
      expect(scopeViolation({ type: 'remove_stale_file', params: { path: file } }, scope, config), file).toMatch(/not a runtime file/);
    }
    expect(scopeViolation({ type: 'remove_stale_file', params: { path: '/run/app.pid' } }, scope, config)).toBeUndefined();
  });

  it('refuses a directory that was swapped for a link after it was listed (no check-then-follow)', () => {
    const root = path.join(base, 'run', 'hx');
    mkdirSync(path.join(root, 'sub'), { recursive: true });
    writeFileSync(path.join(root, 'sub', 'important.db'), 'stale');
    // The swap: sub becomes a link to the victim's directory between a listing and the removal.
    renameSync(path.join(root, 'sub'), path.join(root, 'sub-old'));
    symlinkSync(path.join(base, 'victim'), path.join(root, 'sub'));
    expect(() => removeBeneath(root, path.join(root, 'sub', 'important.db'))).toThrow(PathRefusedError);
    expect(sha(victim)).toBe(victimSha);
  });
});

describe('clean_directory', () => {
  it('refuses a cleanup path that is a link (here to the victim directory)', async () => {
    symlinkSync(path.join(base, 'victim'), path.join(base, 'cache'));
    age(victim, 10 * DAY);
    const config = configFor(`host: { cleanup: [{ path: ${base}/cache, olderThan: 1d }] }\nservices:\n  - { name: app, unit: app.service }\n`);
    await expect(executorFor(config).execute({ type: 'clean_directory', params: { path: `${base}/cache`, olderThanMs: DAY } }, scopeFor(config))).rejects.toThrow(/link/);
    expect(sha(victim)).toBe(victimSha);
  });

  it('cleans old real files only: a link inside the directory is not followed, young files stay', async () => {
    const cache = path.join(base, 'cache');
    mkdirSync(path.join(cache, 'nested'), { recursive: true });
    writeFileSync(path.join(cache, 'old.tmp'), 'x');
    writeFileSync(path.join(cache, 'nested', 'old.tmp'), 'x');
    writeFileSync(path.join(cache, 'young.tmp'), 'x');
    age(path.join(cache, 'old.tmp'), 10 * DAY);
    age(path.join(cache, 'nested', 'old.tmp'), 10 * DAY);
    age(victim, 10 * DAY);
    symlinkSync(path.join(base, 'victim'), path.join(cache, 'escape'));
    const config = configFor(`host: { cleanup: [{ path: ${cache}, olderThan: 1d }] }\nservices:\n  - { name: app, unit: app.service }\n`);
    const result = await executorFor(config).execute({ type: 'clean_directory', params: { path: cache, olderThanMs: DAY } }, scopeFor(config));
    expect(result.detail).toMatch(/removed 2 file/);
    expect(existsSync(path.join(cache, 'young.tmp'))).toBe(true);
    expect(existsSync(path.join(cache, 'escape'))).toBe(true);
    expect(sha(victim)).toBe(victimSha);
  });

  it.skipIf(!ROOT)('never crosses a mount inside the cleanup directory', async () => {
    const cache = path.join(base, 'cache');
    mkdirSync(path.join(cache, 'mounted'), { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1M', 'tmpfs', path.join(cache, 'mounted')]);
    writeFileSync(path.join(cache, 'mounted', 'other-fs.db'), 'on another filesystem');
    writeFileSync(path.join(cache, 'old.tmp'), 'x');
    age(path.join(cache, 'mounted', 'other-fs.db'), 10 * DAY);
    age(path.join(cache, 'old.tmp'), 10 * DAY);
    const config = configFor(`host: { cleanup: [{ path: ${cache}, olderThan: 1d }] }\nservices:\n  - { name: app, unit: app.service }\n`);
    const result = await executorFor(config).execute({ type: 'clean_directory', params: { path: cache, olderThanMs: DAY } }, scopeFor(config));
    expect(result.detail).toMatch(/removed 1 file/);
    expect(readFileSync(path.join(cache, 'mounted', 'other-fs.db'), 'utf8')).toBe('on another filesystem');
  });

  it.skipIf(!ROOT)('when one filesystem is full, only the cleanup directories on it are candidates', async () => {
    for (const name of ['full', 'other']) {
      mkdirSync(path.join(base, name));
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1M', 'tmpfs', path.join(base, name)]);
      mkdirSync(path.join(base, name, 'cache'));
    }
    const config = configFor(`host: { cleanup: [{ path: ${base}/full/cache }, { path: ${base}/other/cache }] }\nservices:\n  - { name: app, unit: app.service }\n`);
    const candidates = await cleanupOnFullFilesystem(config, nodeFileSystem, `disk:${base}/full`);
    expect(candidates.map((entry) => entry.path)).toEqual([`${base}/full/cache`]);
    expect(await cleanupOnFullFilesystem(config, nodeFileSystem, 'memory')).toEqual([]);
  });
});
