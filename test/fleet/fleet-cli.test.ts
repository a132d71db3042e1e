/**
 * The fleet from the built `orchestrator` command against a real PostgreSQL (Debian's, a throwaway server):
 * `store migrate --to postgres` copies a host's history in, and again copies nothing twice; `fleet hosts` and
 * `fleet pause|resume`; `status` says where the fleet store stands; bad use is exit 2 with the reason.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStores } from '../../src/store/stores.js';
import { PostgresFleetStore } from '../../src/store/fleet/postgres-fleet-store.js';
import { writeTask } from '../support/tasks.js';
import { startPostgres, type PostgresServer } from '../support/postgres-server.js';
import { describePostgres } from '../support/describe-postgres.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli', 'main.js');
const work = mkdtempSync(path.join(tmpdir(), 'orchestrator-fleet-cli-'));
const dataDir = path.join(work, 'data');
const configFile = path.join(work, 'config.yaml');
let server: PostgresServer;
let url: string;

function cli(args: string[], config = configFile): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args, '--config', config, '--data-dir', dataDir],
      { timeout: 60_000, env: { ...process.env, AO_FLEET_URL: url } },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  server = await startPostgres();
  url = await server.createDatabase('fleet_cli');
  writeFileSync(configFile, 'store: { postgres: { urlEnv: AO_FLEET_URL } }\nfleet: { hostName: web1 }\nservices:\n  - { name: web, unit: web.service }\n');
  const stores = openStores(dataDir);
  const now = Date.now();
  writeTask(stores, now - 60_000, 'web', { id: 't-fixed', status: 'fixed', fixSuccessful: true, fixedByPhase: 1, closedAt: now - 55_000, durationMs: 5_000 });
  writeTask(stores, now, 'web', { id: 't-open', fingerprint: 'fp-open' });
  stores.patterns.record({
    service: 'web',
    signature: 'unit_failed:exit-code',
    planKey: 'restart_unit(unit=web.service)',
    actions: [{ type: 'restart_unit', params: { unit: 'web.service' } }],
    success: true,
    at: now,
  });
  stores.close();
}, 120_000);
afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

describePostgres('the fleet from the CLI (real PostgreSQL)', () => {
  it('copies a host history in with store migrate, idempotently, and lists the host', async () => {
    const first = await cli(['store', 'migrate', '--to', 'postgres']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^Copied 3 row\(s\) of web1 \(host id [a-z0-9]+\) into the fleet store \(postgres, schema version \d+\)\./);
    const again = await cli(['store', 'migrate', '--to', 'postgres', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ host: { name: 'web1' }, rows: 3 });
    const store = new PostgresFleetStore({ connectionString: url });
    try {
      const tasks = await store.tasks({ limit: 10 });
      expect(tasks.map((task) => task.id).sort()).toEqual(['t-fixed', 't-open']);
      expect(new Set(tasks.map((task) => task.host)).size).toBe(1);
      expect(await store.patterns()).toEqual([expect.objectContaining({ service: 'web', successes: 1 })]);
    } finally {
      await store.close();
    }
    const hosts = await cli(['fleet', 'hosts']);
    expect(hosts.code, hosts.stderr).toBe(0);
    expect(hosts.stdout).toMatch(/^HOST +ID +LAST SEEN/);
    expect(hosts.stdout).toMatch(/\nweb1 +[a-z0-9]+ .* reporting\n?$/);
    const status = await cli(['status']);
    expect(status.stdout).toMatch(/Fleet store: +not joined yet; 0 row\(s\) waiting to be replicated/);
  });

  it('shows in patterns where each pattern was learned and how it did on each host', async () => {
    const store = new PostgresFleetStore({ connectionString: url });
    try {
      await store.registerHost({ id: 'otherhost0000000', name: 'web2', version: '0.1.0', startedAt: Date.now() });
      await store.pushPatterns('otherhost0000000', [
        {
          service: 'web',
          profile: null,
          signature: 'unit_failed:exit-code',
          planKey: 'restart_unit(unit=web.service)',
          actions: [{ type: 'restart_unit', params: { unit: 'web.service' } }],
          successes: 4,
          failures: 2,
          weightedSuccesses: 4,
          weightedFailures: 2,
          confidence: 0.4,
          lastUsed: Date.now(),
        },
      ]);
    } finally {
      await store.close();
    }
    const patterns = await cli(['patterns']);
    expect(patterns.code, patterns.stderr).toBe(0);
    expect(patterns.stdout).toMatch(/Across the fleet \(each host its own record\):\nSERVICE +PROFILE +SIGNATURE +PLAN +HOST +OK +FAIL/);
    expect(patterns.stdout).toMatch(/web +- +unit_failed:exit-code +restart_unit\(unit=web\.service\) +web1 +1 +0/);
    expect(patterns.stdout).toMatch(/web +- +unit_failed:exit-code +restart_unit\(unit=web\.service\) +web2 +4 +2/);
    const json = JSON.parse((await cli(['patterns', '--json'])).stdout) as { patterns: unknown[]; fleet: Array<{ hostName: string }> };
    expect(json.patterns).toHaveLength(1);
    expect(json.fleet.map((row) => row.hostName).sort()).toEqual(['web1', 'web2']);
  });

  it('adds, lists and expires a fleet-wide silence', async () => {
    const added = await cli(['silence', 'add', '--fleet', '--service', 'web', '--for', '1h', '--comment', 'rolling kernel upgrade', '--json']);
    expect(added.code, added.stderr).toBe(0);
    const { id } = JSON.parse(added.stdout) as { id: string };
    const listed = await cli(['silence', 'list']);
    expect(listed.stdout).toMatch(new RegExp(`Fleet-wide \\(every host\\):\\nID .*\\n${id} +active +service="web"`));
    const expired = await cli(['silence', 'expire', id]);
    expect(expired.code, expired.stderr).toBe(0);
    expect(expired.stdout).toMatch(/^Fleet silence .* expired on every host/);
    expect((await cli(['silence', 'expire', id])).code).toBe(2);
    expect((await cli(['silence', 'list'])).stdout).not.toMatch(/Fleet-wide/);
  });

  it('doctor says whether the fleet store can be used', async () => {
    const doctor = await cli(['doctor']);
    expect(doctor.stdout).toMatch(/ok +fleet store: postgres reached, schema version \d+, \d+ host\(s\) known; 0 row\(s\) of this host waiting to be replicated/);
    const wrong = path.join(work, 'wrong.yaml');
    writeFileSync(wrong, 'store: { postgres: { urlEnv: AO_WRONG_URL } }\nservices: []\n');
    const broken = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        [CLI, 'doctor', '--config', wrong, '--data-dir', dataDir],
        { timeout: 60_000, env: { ...process.env, AO_WRONG_URL: 'postgresql://postgres@127.0.0.1:9/nothing' } },
        (error, stdout) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout }),
      );
    });
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/FAIL +fleet store: postgres cannot be used: .*\n {6}fix: check store\.postgres/);
  });

  it('turns the fleet kill switch on and off, saying who', async () => {
    const pause = await cli(['fleet', 'pause', '--reason', 'bad release', '--json']);
    expect(pause.code, pause.stderr).toBe(0);
    expect(JSON.parse(pause.stdout)).toMatchObject({ paused: true, reason: 'bad release', by: expect.stringMatching(/^cli:/) });
    const resume = await cli(['fleet', 'resume']);
    expect(resume.stdout).toMatch(/^The fleet is resumed/);
  });

  it('says what is wrong, with exit 2: another backend, no fleet store, an unset URL variable', async () => {
    const other = await cli(['store', 'migrate', '--to', 'mysql']);
    expect(other).toMatchObject({ code: 2 });
    expect(other.stderr).toMatch(/the only fleet store is postgres, not "mysql"/);
    const alone = path.join(work, 'alone.yaml');
    writeFileSync(alone, 'services: []\n');
    const none = await cli(['fleet', 'hosts'], alone);
    expect(none).toMatchObject({ code: 2 });
    expect(none.stderr).toMatch(/has no fleet store: add store: \{ postgres:/);
    const unset = path.join(work, 'unset.yaml');
    writeFileSync(unset, 'store: { postgres: { urlEnv: AO_NOT_SET_ANYWHERE } }\nservices: []\n');
    const missing = await cli(['config', 'validate'], unset);
    expect(missing.code).toBe(2);
    expect(missing.stderr + missing.stdout).toMatch(/store\.postgres\.urlEnv.*AO_NOT_SET_ANYWHERE/s);
  });
});
