/**
 * restore_config inside the hardened unit's sandbox: ProtectSystem=strict with ReadWritePaths= naming a single
 * file (as for /etc/default/named) leaves the file writable and its directory read-only, so the atomic restore
 * (a temporary beside the file, renamed over it) cannot be made; the content goes back in place instead. Built
 * for real with mounts in a private mount namespace (`unshare -m`): the directory bind-mounted read-only, the file
 * bind-mounted writable over it, as systemd does. Needs root and unshare; says so and skips otherwise.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SNAPSHOTS = path.join(REPO, 'dist', 'store', 'config-snapshots.js');
const UNSHARE = '/usr/bin/unshare';
const why = process.getuid?.() !== 0 ? 'not root' : !existsSync(UNSHARE) ? `${UNSHARE} is missing` : !existsSync(SNAPSHOTS) ? `${SNAPSHOTS} is missing (npm run build)` : undefined;
if (why) console.warn(`restore_config sandbox test skipped: ${why}`);

const work = mkdtempSync(path.join(tmpdir(), 'orchestrator-restore-sandbox-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Runs inside the private mount namespace: snapshot, break the file, make the directory read-only but the file
// writable, restore, and report what restore said and whether a temporary could have been created.
const SCRIPT = `
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
const { ConfigSnapshots } = await import(process.env.SNAPSHOTS);
const [data, dir] = process.argv.slice(2);
const file = dir + '/app.conf';
const snapshots = new ConfigSnapshots(data);
snapshots.take('app', [file], 1);
writeFileSync(file, 'broken\\n');
execFileSync('mount', ['--bind', dir, dir]);
execFileSync('mount', ['-o', 'remount,bind,ro', dir]);
execFileSync('mount', ['--bind', file, file]);
execFileSync('mount', ['-o', 'remount,bind,rw', file]);
let directoryWritable = true;
try { writeFileSync(dir + '/probe', 'x'); } catch { directoryWritable = false; }
const done = snapshots.restore('app', [file], 2);
process.stdout.write(JSON.stringify({ done, directoryWritable, content: readFileSync(file, 'utf8') }));
`;

describe.skipIf(why !== undefined)('restore_config in a sandbox that grants a single file', () => {
  it('puts the content back in place when the directory is read-only', () => {
    const data = path.join(work, 'data');
    const dir = path.join(work, 'etc-default');
    mkdirSync(data);
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'app.conf'), 'OPTIONS="-u bind"\n', { mode: 0o640 });
    const script = path.join(work, 'restore.mjs');
    writeFileSync(script, SCRIPT);
    const output = execFileSync(UNSHARE, ['--mount', '--propagation', 'private', process.execPath, script, data, dir], { env: { ...process.env, SNAPSHOTS }, encoding: 'utf8' });
    const result = JSON.parse(output) as { done: string[]; directoryWritable: boolean; content: string };
    expect(result.directoryWritable).toBe(false);
    expect(result.done).toEqual([`restored changed ${path.join(dir, 'app.conf')} in place (its directory is read-only here)`]);
    expect(result.content).toBe('OPTIONS="-u bind"\n');
    // Outside the namespace the same file: restored, no temporary left behind.
    expect(readFileSync(path.join(dir, 'app.conf'), 'utf8')).toBe('OPTIONS="-u bind"\n');
    expect(existsSync(path.join(dir, 'app.conf.orchestrator-restore'))).toBe(false);
  });
});
