/**
 * A fleet for real: one PostgreSQL (Debian's, a throwaway server on the host, reached through its unix socket)
 * and three hosts, each a systemd lab with its own network namespace, its own app unit and its own daemon.
 * - the same fault on host A, then on host B, is fixed on B in phase 1 from A's learning;
 * - the same fault on all three at once is fixed one host at a time (fleet budget 1, leases in PostgreSQL);
 * - a daemon killed while it holds the fleet lease frees it by expiry, and the next host acts after that;
 * - that daemon, silent, becomes one host-silent escalation, resolved when it is back;
 * - PostgreSQL restarted mid-run loses nothing: a fix made meanwhile reaches it afterwards.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { SystemdLab, TEST_OUTPUT_DIR } from './systemd-lab.js';
import { describeLab } from './describe-lab.js';
import { appUnit, HOST_CHECKS_OFF, LabDaemon, type AttemptRow } from './lab-daemon.js';
import { POSTGRES_AVAILABLE, startPostgres, type PostgresServer } from '../support/postgres-server.js';

const HOSTS = ['lab-a', 'lab-b', 'lab-c'] as const;
const APP_PORT = 18501;
const LEASE_MS = 12_000;
const UNIT = 'lab-app.service';

interface Member {
  name: (typeof HOSTS)[number];
  lab: SystemdLab;
  daemon: LabDaemon;
}

type Attempt = AttemptRow & { started_at: string; finished_at: string | null; reason: string };

/** When a daemon really acted (its "acting:" line, logged once the fleet let it) and when the fix was verified. */
function actedIntervals(log: string, since: number): Array<{ start: number; end: number }> {
  const lines = log
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { time: string; msg: string })
    .map((line) => ({ at: Date.parse(line.time), msg: line.msg }))
    .filter((line) => line.at >= since);
  const intervals: Array<{ start: number; end: number }> = [];
  for (const [index, line] of lines.entries()) {
    if (!line.msg.startsWith('acting: ')) continue;
    const end = lines.slice(index + 1).find((next) => next.msg === 'fix verified' || next.msg.startsWith('fix not verified'));
    if (end) intervals.push({ start: line.at, end: end.at });
  }
  return intervals;
}

describeLab('a fleet of three hosts sharing one PostgreSQL (systemd labs, real PostgreSQL)', () => {
  let server: PostgresServer;
  let url: string;
  let members: Member[] = [];
  const base = path.join(TEST_OUTPUT_DIR, `fleet-${Date.now()}`);
  const member = (name: Member['name']) => members.find((each) => each.name === name)!;
  const query = async <T>(sql: string, ...params: unknown[]): Promise<T[]> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  };
  const killApp = async (each: Member) => each.lab.exec(['kill', '-9', String(await each.lab.mainPid(UNIT))]);
  const attempts = (each: Member): Attempt[] => each.daemon.query<Attempt>('tasks', `SELECT * FROM attempts WHERE service = 'app' ORDER BY started_at, rowid`);
  const waitForAttempts = (each: Member, count: number, what: string, timeoutMs = 60_000) =>
    each.lab.waitFor(async () => attempts(each).filter((attempt) => attempt.outcome === 'success').length >= count, {
      what: `${what} (daemon log: ${each.daemon.logPath})`,
      timeoutMs,
    });

  beforeAll(async () => {
    if (!POSTGRES_AVAILABLE) throw new Error('the fleet lab test needs PostgreSQL (apt-get install postgresql): npm test installs it as root');
    mkdirSync(base, { recursive: true });
    server = await startPostgres({ baseDir: base });
    await server.createDatabase('fleet');
    url = server.socketUrl('fleet');
    const urlFile = path.join(base, 'fleet-url');
    writeFileSync(urlFile, `${url}\n`, { mode: 0o600 });
    const labs = await Promise.all(HOSTS.map((name) => SystemdLab.boot({ name: `fleet-${name}` })));
    members = HOSTS.map((name, index) => ({ name, lab: labs[index]!, daemon: new LabDaemon(labs[index]!, `fleet-${name}`) }));
    for (const each of members) {
      // A restart takes a moment (as a real service's does), so overlapping fixes would show.
      await each.lab.writeUnit(UNIT, appUnit(`app on ${each.name}`, { PORT: String(APP_PORT) }, 'ExecStartPre=/bin/sleep 1'));
      await each.lab.systemctl('start', UNIT);
      each.daemon.writeConfig(
        [
          'cycle: { interval: 5m, watchFailedUnits: false }',
          'verification: { settle: 500ms }',
          HOST_CHECKS_OFF,
          'web: { enabled: false }',
          `store: { postgres: { urlFile: ${urlFile} } }`,
          `fleet: { hostName: ${each.name}, heartbeat: 1s, silentAfter: 5s, leaseFor: ${LEASE_MS / 1000}s }`,
          'services:',
          '  - name: app',
          `    unit: ${UNIT}`,
          '    checks:',
          `      - { type: http, url: "http://127.0.0.1:${APP_PORT}/", timeout: 2s }`,
          '',
        ].join('\n'),
      );
    }
    await Promise.all(members.map((each) => each.daemon.startAndWait()));
    await members[0]!.lab.waitFor(async () => (await query('SELECT id FROM fleet_hosts')).length === 3, { what: 'three hosts joined', timeoutMs: 30_000 });
  }, 180_000);

  afterAll(async () => {
    for (const each of members) await each.daemon.kill().catch(() => undefined);
    await Promise.all(members.map((each) => each.lab.stop()));
    await server?.stop();
  });

  it('fixes on host B in phase 1 what host A learned', async () => {
    const [a, b] = [member('lab-a'), member('lab-b')];
    await killApp(a);
    await waitForAttempts(a, 1, 'the fix on lab-a');
    expect(attempts(a)[0]).toMatchObject({ phase: 1, source: 'generic', outcome: 'success' });
    await a.lab.waitFor(async () => (await query(`SELECT 1 FROM fleet_patterns WHERE service = 'app'`)).length > 0, { what: "lab-a's pattern in PostgreSQL", timeoutMs: 30_000 });

    await killApp(b);
    await waitForAttempts(b, 1, 'the fix on lab-b');
    const [first] = attempts(b);
    expect(first).toMatchObject({ phase: 1, source: 'learned', outcome: 'success', plan_key: `restart_unit(unit=${UNIT})` });
    expect(first!.reason).toMatch(/^learned on lab-a: fixed ".*" there 1 of 1 times/);
  });

  it('fixes the same fault on all three hosts one at a time', async () => {
    const fixed = new Map(members.map((each) => [each.name, attempts(each).filter((attempt) => attempt.outcome === 'success').length]));
    const since = Date.now();
    await Promise.all(members.map((each) => killApp(each)));
    await Promise.all(members.map((each) => waitForAttempts(each, fixed.get(each.name)! + 1, `the fix on ${each.name}`, 120_000)));
    const acted = members.flatMap((each) => actedIntervals(each.daemon.log(), since)).sort((x, y) => x.start - y.start);
    expect(acted).toHaveLength(3);
    // Each began acting only once the one before had verified and let go of the budget.
    for (let index = 1; index < acted.length; index++) expect(acted[index]!.start).toBeGreaterThanOrEqual(acted[index - 1]!.end);
    // The two that waited say so in their attempt.
    const waits = members
      .map((each) => attempts(each).at(-1)!.detail)
      .filter((detail) => /^waited \d+\.\d s for the fleet budget \(app:restart_unit ran on lab-[abc]/.test(detail));
    expect(waits).toHaveLength(2);
    for (const each of members) expect(each.daemon.log()).not.toMatch(/"level":50/);
  }, 180_000);

  it('frees the lease of a daemon killed while holding it by expiry; that host becomes one silent-host escalation, resolved when it returns', async () => {
    const [a, b, c] = [member('lab-a'), member('lab-b'), member('lab-c')];
    await killApp(c);
    await c.lab.waitFor(async () => (await query(`SELECT 1 FROM fleet_leases l JOIN fleet_hosts h ON h.id = l.holder WHERE h.name = 'lab-c'`)).length > 0, {
      what: 'lab-c holding the fleet lease',
      timeoutMs: 30_000,
    });
    await c.daemon.kill('SIGKILL');
    const [lease] = await query<{ expires_at: string }>(`SELECT expires_at::float8 AS expires_at FROM fleet_leases`);
    const since = Date.now();
    await killApp(a);
    await waitForAttempts(a, attempts(a).filter((attempt) => attempt.outcome === 'success').length + 1, 'the fix on lab-a after the lease expired', 90_000);
    const [acting] = actedIntervals(a.daemon.log(), since);
    expect(acting!.start).toBeGreaterThanOrEqual(Number(lease!.expires_at));
    expect(attempts(a).at(-1)!.detail).toMatch(/^waited \d+\.\d s for the fleet budget \(app:restart_unit ran on lab-c\)/);

    // lab-c's daemon is silent: exactly one of the others raises it.
    const silent = () =>
      [a, b].flatMap((each) =>
        each.daemon.query<{ id: string; status: string; reason: string }>('escalations', `SELECT id, status, reason FROM escalations WHERE service = 'host:lab-c'`),
      );
    await a.lab.waitFor(async () => silent().length > 0, { what: 'a host-silent escalation for lab-c', timeoutMs: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(silent()).toHaveLength(1);
    expect(silent()[0]!.reason).toMatch(/^lab-c: orchestrator silent for \d+ min, last seen /);
    c.daemon.start();
    await a.lab.waitFor(async () => silent()[0]!.status === 'auto_resolved', { what: 'the escalation resolved when lab-c reports again', timeoutMs: 60_000 });
  }, 240_000);

  it('loses nothing when PostgreSQL restarts mid-run', async () => {
    const b = member('lab-b');
    const before = attempts(b).length;
    const restarting = server.restart();
    await killApp(b);
    await restarting;
    await waitForAttempts(b, attempts(b).filter((attempt) => attempt.outcome === 'success').length + 1, 'the fix on lab-b around the restart', 90_000);
    const task = b.daemon.query<{ id: string }>('tasks', `SELECT DISTINCT task_id AS id FROM attempts WHERE service = 'app' ORDER BY started_at DESC LIMIT 1`)[0]!;
    expect(attempts(b).length).toBeGreaterThan(before);
    await b.lab.waitFor(async () => (await query(`SELECT 1 FROM fleet_tasks WHERE id = $1 AND data->>'status' = 'fixed'`, task.id)).length > 0, {
      what: "lab-b's task in PostgreSQL after its restart",
      timeoutMs: 60_000,
    });
    const status = await b.daemon.cli(['status']);
    expect(status.stdout).toMatch(/Fleet store: +postgres, reachable .* 0 row\(s\) waiting to be replicated/);
  }, 180_000);
});
