/**
 * The fleet's figures (issue 14), against one real PostgreSQL (Debian's, a throwaway server):
 *  (a) 50 simulated hosts, each with its own connection, heartbeating and pushing a task and an attempt every
 *      second for the run (a real fleet heartbeats every 30 s and has a fault every few minutes: this is ~30× that):
 *      the latency of each write, median and p95;
 *  (b) meanwhile, one daemon (its own process, the compiled dist/, the daemon's V8 flags, 20 process-adapter
 *      services, one fault's rows a second) running full cycles back to back on SQLite alone, then with the
 *      PostgreSQL fleet store (heartbeat and replication every second): cycle time median and p95 per backend, and
 *      the daemon's RSS on each;
 *  (c) 100,000 tasks across the 50 hosts, then GET /api/fleet served by the built server in its own process with
 *      that fleet store, loaded by autocannon (50 connections, 10 s), and one uncached overview's computation.
 * Goals: no host's cycle slower than 1.5× its SQLite time; the fleet overview above 1,000 requests/s.
 * `npm run bench` calls runFleetBench(); `tsx bench/fleet-bench.ts` runs it alone and prints the result.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { PostgresFleetStore } from '../src/store/fleet/postgres-fleet-store.js';
import { FleetData } from '../src/web/fleet-data.js';
import type { Task } from '../src/core/types.js';
import { startPostgres } from '../test/support/postgres-server.js';
import { DAEMON_NODE_FLAGS } from '../test/lab/lab-daemon.js';
import { percentile } from './stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface FleetBenchResult {
  hosts: number;
  seconds: number;
  writes: { count: number; medianMs: number; p95Ms: number };
  cycle: { sqlite: Distribution; postgres: Distribution; ratioMedian: number; ratioP95: number; replicatedRows: number };
  rssMb: { sqlite: number; postgres: number };
  overview: { tasks: number; rps: number; p50Ms: number; p95Ms: number; uncachedMs: number };
}

interface Distribution {
  cycles: number;
  medianMs: number;
  p95Ms: number;
}

export async function runFleetBench(options: { hosts?: number; seconds?: number; tasks?: number; log?: (line: string) => void } = {}): Promise<FleetBenchResult> {
  const hosts = options.hosts ?? 50;
  const seconds = options.seconds ?? 20;
  const taskCount = options.tasks ?? 100_000;
  const log = options.log ?? (() => undefined);
  const base = mkdtempSync(path.join(tmpdir(), 'fleet-bench-'));
  const server = await startPostgres();
  try {
    const url = await server.createDatabase('fleet');
    const stores = Array.from({ length: hosts }, () => new PostgresFleetStore({ connectionString: url, poolMax: 1 }));
    await stores[0]!.migrate();
    await Promise.all(stores.map((store, index) => store.registerHost({ id: hostId(index), name: `host${index}`, version: 'bench', startedAt: Date.now() })));

    log(`  ${hosts} hosts writing for ${seconds} s, one daemon cycling on SQLite, then with the fleet store:`);
    const latencies: number[] = [];
    const stop = { now: false };
    const load = Promise.all(stores.map((store, index) => simulateHost(store, index, stop, latencies)));
    const sqlite = await runDaemon(path.join(base, 'sqlite'), seconds / 2);
    const postgres = await runDaemon(path.join(base, 'postgres'), seconds / 2, url);
    stop.now = true;
    await load;
    const writes = { count: latencies.length, medianMs: round(percentile(latencies, 50)!), p95Ms: round(percentile(latencies, 95)!) };
    log(`  writes: ${writes.count}, median ${writes.medianMs} ms, p95 ${writes.p95Ms} ms`);
    const cycle = {
      sqlite: distribution(sqlite.cycles),
      postgres: distribution(postgres.cycles),
      ratioMedian: 0,
      ratioP95: 0,
      replicatedRows: postgres.replication?.pushed ?? 0,
    };
    cycle.ratioMedian = round(cycle.postgres.medianMs / cycle.sqlite.medianMs);
    cycle.ratioP95 = round(cycle.postgres.p95Ms / cycle.sqlite.p95Ms);
    log(
      `  cycle: SQLite median ${cycle.sqlite.medianMs} ms p95 ${cycle.sqlite.p95Ms} ms; with PostgreSQL median ${cycle.postgres.medianMs} ms p95 ${cycle.postgres.p95Ms} ms (${cycle.ratioMedian}×, p95 ${cycle.ratioP95}×; ${cycle.replicatedRows} rows replicated, ${postgres.replication?.backlog ?? '?'} left)`,
    );
    const rssMb = { sqlite: round(sqlite.rssMb), postgres: round(postgres.rssMb) };
    log(`  daemon RSS: SQLite ${rssMb.sqlite} MB, with PostgreSQL ${rssMb.postgres} MB`);

    await seedTasks(stores, taskCount);
    const uncachedMs = await uncachedOverview(stores[0]!);
    const overview = { tasks: taskCount, ...(await loadOverview(url)), uncachedMs };
    log(`  GET /api/fleet over ${taskCount} tasks: ${overview.rps} req/s, p50 ${overview.p50Ms} ms, p95 ${overview.p95Ms} ms (one uncached computation ${overview.uncachedMs} ms)`);
    await Promise.all(stores.map((store) => store.close()));
    return { hosts, seconds, writes, cycle, rssMb, overview };
  } finally {
    await server.stop();
    rmSync(base, { recursive: true, force: true });
  }
}

const hostId = (index: number) => `benchhost${String(index).padStart(8, '0')}`;
const round = (value: number) => Math.round(value * 100) / 100;

function distribution(cycles: readonly number[]): Distribution {
  return { cycles: cycles.length, medianMs: round(percentile([...cycles], 50)!), p95Ms: round(percentile([...cycles], 95)!) };
}

function task(id: string, service: string, at: number, status: Task['status'] = 'fixed'): Task {
  return {
    id,
    fingerprint: `fp-${id}`,
    service,
    unit: `${service}.service`,
    checkId: 'unit',
    symptom: 'unit_failed',
    signature: 'unit_failed:signal',
    status,
    phase: 1,
    message: `${service}.service failed`,
    evidence: { logs: ['Main process exited, code=killed, status=9/KILL'], checks: [] },
    detectedAt: at,
    lastSeen: at,
    occurrences: 1,
    closedAt: status === 'fixed' ? at + 2_000 : null,
    fixSuccessful: status === 'fixed',
    fixedByPhase: status === 'fixed' ? 1 : null,
    durationMs: status === 'fixed' ? 2_000 : null,
    reason: null,
  };
}

/** One host: every second a heartbeat, a task and its attempt, each write timed. */
async function simulateHost(store: PostgresFleetStore, index: number, stop: { now: boolean }, latencies: number[]): Promise<void> {
  let sequence = 0;
  const timed = async (work: () => Promise<void>) => {
    const started = performance.now();
    await work();
    latencies.push(performance.now() - started);
  };
  // Spread over the second, as real hosts are not in step.
  await new Promise((resolve) => setTimeout(resolve, (index * 1_000) / 50));
  while (!stop.now) {
    const tick = Date.now();
    const id = `t${index}-${sequence++}`;
    await timed(() => store.heartbeat(hostId(index), tick, { services: 20, failing: sequence % 7 === 0 ? 1 : 0, escalated: 0, paused: false }));
    await timed(() => store.pushTasks(hostId(index), [task(id, `svc${sequence % 20}`, tick)]));
    await timed(() =>
      store.pushAttempts(hostId(index), [
        {
          id: `a-${id}`,
          taskId: id,
          service: `svc${sequence % 20}`,
          phase: 1,
          source: 'generic',
          planKey: `restart_unit(unit=svc${sequence % 20}.service)`,
          actions: [{ type: 'restart_unit', params: { unit: `svc${sequence % 20}.service` } }],
          reason: 'bench',
          startedAt: tick,
          finishedAt: tick + 2_000,
          outcome: 'success',
          detail: 'restarted; verification passed',
          verification: null,
        },
      ]),
    );
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1_000 - (Date.now() - tick))));
  }
}

async function runDaemon(dataDir: string, seconds: number, url?: string): Promise<{ cycles: number[]; rssMb: number; replication: { pushed: number; backlog: number } | null }> {
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, path.join(here, 'fleet-daemon.mjs'), dataDir, String(seconds), ...(url ? [url] : [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  const line = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`fleet bench: the daemon exited (${code}) without a result: ${stderr}`)));
  });
  return JSON.parse(line) as { cycles: number[]; rssMb: number; replication: { pushed: number; backlog: number } | null };
}

async function seedTasks(stores: readonly PostgresFleetStore[], count: number): Promise<void> {
  const perHost = Math.ceil(count / stores.length);
  const now = Date.now();
  await Promise.all(
    stores.map(async (store, index) => {
      for (let offset = 0; offset < perHost; offset += 500) {
        const batch = Array.from({ length: Math.min(500, perHost - offset) }, (_, item) => {
          const number = offset + item;
          return task(`seed${index}-${number}`, `svc${number % 20}`, now - (perHost - number) * 60_000, number % 50 === 0 ? 'escalated' : 'fixed');
        });
        await store.pushTasks(hostId(index), batch);
      }
    }),
  );
}

/** One computation of the overview, past its cache (a new FleetData each time), median of 5. */
async function uncachedOverview(store: PostgresFleetStore): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < 6; run++) {
    const started = performance.now();
    await new FleetData(store, 300_000).overview(Date.now());
    if (run > 0) times.push(performance.now() - started);
  }
  return round(percentile(times, 50)!);
}

/** The built server with the fleet store in its own process, loaded by autocannon. */
async function loadOverview(url: string): Promise<{ rps: number; p50Ms: number; p95Ms: number }> {
  const base = mkdtempSync(path.join(tmpdir(), 'fleet-bench-server-'));
  const child: ChildProcess = spawn(process.execPath, [...DAEMON_NODE_FLAGS, path.join(here, 'fleet-server.mjs'), path.join(base, 'data'), url], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`fleet bench: the server exited (${code}): ${stderr}`)));
    });
    const { url: server, token } = JSON.parse(first) as { url: string; token: string };
    const target = { url: `${server}/api/fleet`, connections: 50, headers: { authorization: `Bearer ${token}` } };
    await run({ ...target, duration: 2 });
    const latencies: number[] = [];
    const result = await run({ ...target, duration: 10 }, (time) => latencies.push(time));
    if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0)
      throw new Error(`fleet bench: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
    return { rps: Math.round(result.requests.average), p50Ms: round(percentile(latencies, 50)!), p95Ms: round(percentile(latencies, 95)!) };
  } finally {
    child.kill('SIGTERM');
    rmSync(base, { recursive: true, force: true });
  }
}

function run(options: autocannon.Options, onResponse?: (responseTime: number) => void): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
    if (onResponse) instance.on('response', (_client, _status, _bytes, responseTime) => onResponse(responseTime));
  });
}

/** Runs the fleet bench and writes bench/fleet-results.json and bench/fleet.md. */
export async function writeFleetFigures(log: (line: string) => void): Promise<FleetBenchResult> {
  const result = await runFleetBench({ log });
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}, ${Math.round(os.totalmem() / 2 ** 30)} GB, Linux ${os.release()}, Node ${process.version}, ${new Date().toISOString()}`;
  writeFileSync(path.join(here, 'fleet-results.json'), `${JSON.stringify({ machine, ...result }, null, 2)}\n`);
  writeFileSync(path.join(here, 'fleet.md'), fleetReport(result, machine));
  return result;
}

export function fleetReport(result: FleetBenchResult, machine: string): string {
  const { writes, cycle, rssMb, overview } = result;
  const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
  return `# Fleet benchmark

Measured by \`npm run bench\` (\`BENCH_ONLY_FLEET=1\` for this part alone) on ${machine}, against one real
PostgreSQL (Debian's, a throwaway server on this machine). ${result.hosts} simulated hosts, each with its own connection,
heartbeat and push a task and an attempt every second for ${result.seconds} s: about 30 times what a real fleet of
that size writes (heartbeats every 30 s, a fault every few minutes). Meanwhile one daemon (its own process, the
compiled code, the daemon's V8 flags, 20 process-adapter services, one fault's rows written a second) runs full cycles
back to back: first on its SQLite stores alone, then with the PostgreSQL fleet store (heartbeat and replication every
second). Then ${overview.tasks.toLocaleString('en')} tasks are spread over the hosts and the built server answers
GET /api/fleet under autocannon (50 connections, 10 s).

| measure | value | goal |
|---|---|---|
| fleet store write latency (${writes.count} writes) | median ${writes.medianMs} ms, p95 ${writes.p95Ms} ms | |
| a host's full cycle, SQLite alone | median ${cycle.sqlite.medianMs} ms, p95 ${cycle.sqlite.p95Ms} ms (${cycle.sqlite.cycles} cycles) | |
| the same host's cycle with the PostgreSQL fleet store | median ${cycle.postgres.medianMs} ms, p95 ${cycle.postgres.p95Ms} ms (${cycle.postgres.cycles} cycles; ${cycle.replicatedRows} rows replicated) | |
| ratio | median ${cycle.ratioMedian}×, p95 ${cycle.ratioP95}× | ≤ 1.5×: ${mark(cycle.ratioMedian <= 1.5)} (median) |
| daemon RSS | SQLite ${rssMb.sqlite} MB, with PostgreSQL ${rssMb.postgres} MB | |
| GET /api/fleet over ${overview.tasks.toLocaleString('en')} tasks | ${overview.rps} req/s (p50 ${overview.p50Ms} ms, p95 ${overview.p95Ms} ms) | > 1,000 req/s: ${mark(overview.rps > 1_000)} |
| one fleet overview computed (past its 1 s cache) | ${overview.uncachedMs} ms | |

A host's cycle never waits on PostgreSQL: its writes land in its own SQLite stores, and the fleet member ships them
beside the cycle. What the ratio measures is that work (the replication queue's triggers, the heartbeat and the
pushes) sharing the daemon's one thread with the cycles. The overview is computed at most once a second and
served from that for every request meanwhile.
`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await writeFleetFigures((line) => process.stdout.write(`${line}\n`));
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
