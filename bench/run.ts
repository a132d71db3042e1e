/**
 * `npm run bench`: measures what the issues name and writes bench/results.json and bench/results.md (the
 * orchestrator's own figures), then runs the fault suite side by side against Monit and systemd alone
 * (bench/comparison/) and writes bench/comparison-results.json and bench/comparison.md, whose report includes
 * the orchestrator's own figures. Needs root (the systemd lab); says so and exits 1 otherwise.
 *
 *   BENCH_SKIP_COMPARISON=1   skip the side-by-side comparison (about 25 minutes) for a quick run
 *   BENCH_ONLY_COMPARISON=1   only the comparison (its report reads the own figures from bench/results.json)
 *   BENCH_RENDER_ONLY=1       re-write bench/results.md from bench/results.json, measuring nothing
 *   BENCH_ONLY_FLEET=1        only the fleet figures (bench/fleet.md, bench/fleet-results.json)
 *   BENCH_ROUNDS, BENCH_CYCLES, BENCH_FAULT_ROUNDS; BENCH_COMPARISON_FAULTS, BENCH_COMPARISON_LANES (see run-comparison.ts)
 */
import { benchIdleCost } from './idle-cost.js';
import type { ProcessFaultResult } from './process-faults.js';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { labAvailability } from '../test/lab/systemd-lab.js';
import { benchCycles, benchDetection } from './daemon-bench.js';
import { benchPhaseOverhead } from './phase-overhead.js';
import { runFaultSuite } from './fault-suite.js';
import { comparisonOptionsFromEnv, runComparison } from './comparison/run-comparison.js';
import { summaryTable } from './comparison/report.js';
import { writeFleetFigures } from './fleet-bench.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const availability = labAvailability();
  if (!availability.ok) {
    log(`bench: cannot run: ${availability.reason}`);
    process.exitCode = 1;
    return;
  }
  const flag = (name: string) => ['1', 'true', 'yes'].includes((process.env[name] ?? '').toLowerCase());
  // Checked before hours of measuring, so a typo fails at once.
  if (flag('BENCH_RENDER_ONLY')) {
    // Re-writes bench/results.md from bench/results.json (after a change to this report), measuring nothing.
    const results = JSON.parse(readFileSync(path.join(here, 'results.json'), 'utf8')) as Results;
    writeFileSync(path.join(here, 'results.md'), report(results));
    log('bench/results.md re-rendered from bench/results.json');
    return;
  }
  if (flag('BENCH_ONLY_FLEET')) {
    log('the fleet (bench/fleet-bench.ts, one PostgreSQL, 50 simulated hosts):');
    await writeFleetFigures(log);
    log('written: bench/fleet.md, bench/fleet-results.json');
    return;
  }
  const comparisonOptions = flag('BENCH_SKIP_COMPARISON') ? undefined : comparisonOptionsFromEnv();
  if (!flag('BENCH_ONLY_COMPARISON')) await ownFigures();
  if (!comparisonOptions) {
    log('comparison skipped (BENCH_SKIP_COMPARISON); bench/comparison.md and bench/comparison-results.json are left as they were');
    return;
  }
  log('\nthe fault suite side by side (orchestrator, Monit 30 s and 5 s, systemd alone):');
  const comparison = await runComparison(comparisonOptions, log);
  log(`\n${summaryTable(comparison)}\n\nfull report: bench/comparison.md (raw logs: bench/results/raw/<system>/)`);
}

/**
 * API throughput comes from bench/dashboard-bench.ts (written separately; loaded only when it is there, so this
 * file does not depend on it). It exports `runDashboardBench({ log })`; its result is stored under `dashboard` in
 * bench/results.json and shown by bench/results.md and bench/comparison.md.
 */
async function benchDashboardIfPresent(): Promise<Record<string, unknown> | undefined> {
  const file = path.join(here, 'dashboard-bench.ts');
  if (!existsSync(file)) return undefined;
  type Run = (options: { log: (line: string) => void }) => Promise<Record<string, unknown>>;
  const module = (await import(pathToFileURL(file).href)) as { runDashboardBench?: Run };
  if (typeof module.runDashboardBench !== 'function') {
    log('  bench/dashboard-bench.ts does not export runDashboardBench(): API throughput not measured');
    return undefined;
  }
  log('dashboard API throughput (bench/dashboard-bench.ts):');
  try {
    return await module.runDashboardBench({ log });
  } catch (err) {
    // The other measurements (and the comparison) still stand; the report says why this one is missing.
    log(`  dashboard bench failed: ${(err as Error).message}`);
    return { error: (err as Error).message.split('\n')[0] };
  }
}

async function ownFigures(): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 20);
  const cycles = Number(process.env.BENCH_CYCLES ?? 1000);
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    date: new Date().toISOString(),
  };
  log(`bench on ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb} GB, Linux ${machine.kernel}, Node ${machine.node}`);
  log(`detection and recovery of a killed unit (${rounds} rounds):`);
  const detection = await benchDetection(rounds, log);
  log(`full cycles with 200 units (${cycles} cycles):`);
  const cycleRun = await benchCycles(200, cycles, log);
  log('overhead of phases 2 and 3 with the heuristic agents (100 tasks, in process):');
  const phaseOverhead = await benchPhaseOverhead(100);
  log(`  ${phaseOverhead.phases23Ms.median?.toFixed(2)} ms per task, of which agents ${phaseOverhead.agentMsPerTask.toFixed(2)} ms (excluded)`);
  const faultRounds = Number(process.env.BENCH_FAULT_ROUNDS ?? 3);
  log(`fault suite (${faultRounds} rounds):`);
  const faults = await runFaultSuite(faultRounds, log);
  log('idle cost of 20 healthy units, side by side with Monit (5 s cycle):');
  const idle = await benchIdleCost(log);
  log('the faults that apply to the process adapter (the demo stack, no systemd):');
  const processFaults = await benchProcessFaultsUnshared(log);
  const dashboard = await benchDashboardIfPresent();
  log('the fleet (bench/fleet-bench.ts, one PostgreSQL, 50 simulated hosts): written to bench/fleet.md');
  await writeFleetFigures(log).catch((error: Error) => log(`  fleet bench failed: ${error.message}`));
  const results = { machine, detection, cycles: cycleRun, phaseOverhead, faults, idle, processFaults, ...(dashboard ? { dashboard } : {}) };
  mkdirSync(here, { recursive: true });
  writeFileSync(path.join(here, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(here, 'results.md'), report(results));
  log(report(results));
}

/** The process-adapter faults need a tmpfs: run in a private mount namespace (`unshare -m`), as a child. */
async function benchProcessFaultsUnshared(log: (line: string) => void): Promise<ProcessFaultResult[]> {
  const { spawnSync } = await import('node:child_process');
  const script = path.join(here, 'process-faults.ts');
  const child = spawnSync(process.execPath, [...process.execArgv, script], { encoding: 'utf8', timeout: 20 * 60_000 });
  for (const line of `${child.stdout}${child.stderr}`.split('\n').filter(Boolean)) log(line);
  const file = path.join(here, 'results', 'process-faults.json');
  if (child.status !== 0 || !existsSync(file)) return [];
  return (JSON.parse(readFileSync(file, 'utf8')) as { results: ProcessFaultResult[] }).results;
}

interface Results {
  machine: Record<string, unknown>;
  detection: Awaited<ReturnType<typeof benchDetection>>;
  cycles: Awaited<ReturnType<typeof benchCycles>>;
  phaseOverhead: Awaited<ReturnType<typeof benchPhaseOverhead>>;
  faults: Awaited<ReturnType<typeof runFaultSuite>>;
  idle: Awaited<ReturnType<typeof benchIdleCost>>;
  processFaults?: ProcessFaultResult[];
  dashboard?: Record<string, unknown>;
}

function dashboardSection(dashboard: Record<string, unknown> | undefined): string {
  if (!dashboard) return 'Not measured in this run (bench/dashboard-bench.ts is not there).';
  if (typeof dashboard.error === 'string') return `Not measured: the dashboard bench failed: ${dashboard.error}`;
  const render = (dashboard.firstRenderMs ?? {}) as { median?: number; p95?: number; runs?: number };
  return `From bench/dashboard-bench.ts: the built server in its own process over a store of ${String(dashboard.tasks)} tasks, loaded by autocannon
(50 connections, 10 s); the overview page in headless Chromium with a signed-in session.

| measure | value | goal |
|---|---|---|
| GET /api/overview throughput | ${String(dashboard.overviewRps)} req/s (latency p50 ${String(dashboard.overviewLatencyP50Ms)} ms, p95 ${String(dashboard.overviewLatencyP95Ms)} ms) | > 2,000 req/s |
| overview page, time to first render | median ${String(render.median)} ms, p95 ${String(render.p95)} ms (${String(render.runs)} runs) | < 500 ms |`;
}

function report(results: Results): string {
  const { detection, cycles, machine, phaseOverhead, faults, dashboard, idle, processFaults = [] } = results;
  const rows = faults.outcomes.map(
    (outcome) => `| ${outcome.fault} | ${outcome.round} | ${outcome.outcome} | ${outcome.phase ?? '-'} | ${outcome.source ?? '-'} | ${outcome.detectToVerifiedMs ?? '-'} |`,
  );
  const total = faults.outcomes.length;
  return `# Benchmark results

Measured by \`npm run bench\` on ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb} GB, Linux ${machine.kernel}, Node ${machine.node}, ${machine.date}.
Everything runs in the systemd lab (a real systemd in its own namespaces) against the real daemon.

| measure | median | p95 | goal |
|---|---|---|---|
| detection latency, kill -9 → task (${detection.detectionMs.n} rounds, D-Bus events; includes the \`kill\` command's own start in the lab) | ${detection.detectionMs.median} ms | ${detection.detectionMs.p95} ms | median < 50 ms, p95 < 250 ms |
| detection → verified healthy, phase-1 restart | ${detection.detectToVerifiedMs.median} ms | ${detection.detectToVerifiedMs.p95} ms | median < 3 s |
| kill -9 → verified healthy | ${detection.killToVerifiedMs.median} ms | ${detection.killToVerifiedMs.p95} ms | |
| full cycle, ${cycles.units} configured units + host checks | ${cycles.fullCycleMs.median} ms | ${cycles.fullCycleMs.p95} ms | < 1 s |

Daemon RSS with ${cycles.units} units (dashboard and metrics served, as by default): ${cycles.rssMbAfter100Cycles} MB after 100 cycles, ${cycles.rssMbAfterAllCycles} MB after ${cycles.cycles} cycles
(growth ${cycles.rssGrowthMb} MB; goal: below 60 MB and flat)${cycles.rssAnonMbAfterAllCycles === undefined ? '' : `; of the final RSS, ${cycles.rssAnonMbAfterAllCycles} MB is the daemon's private memory and ${cycles.rssFileMbAfterAllCycles} MB file-backed pages (node's own binary and shared libraries, shared with every node process; see docs/memory.md)`}.

The verified-healthy time includes the verification settle (1 s by default) and the unit's own start.

## Idle cost, side by side with Monit

20 healthy units watched for 60 s in one lab, after a minute of warm-up (CPU of the process and its reaped children; goal: the daemon's CPU
no more than Monit's, RSS below 60 MB):

| system | CPU % of a core | RSS MB | peak RSS MB |
|---|---|---|---|
${idle.map((row) => `| ${row.system} | ${row.cpuPercent.toFixed(2)} | ${row.rssMb.toFixed(1)} | ${row.peakRssMb.toFixed(1)} |`).join('\n')}

## The process adapter

The faults of the comparison that apply to a host without systemd, against the demo's stack of real processes
supervised by the process adapter (bench/process-faults.ts), beside the same fault's outcome on systemd in
bench/comparison-results.json:

| fault | outcome | detected after (ms) | actions | on systemd |
|---|---|---|---|---|
${processFaults.map((row) => `| ${row.fault} | ${row.outcome}${row.correct ? '' : ' (wrong)'} | ${row.detectMs ?? '-'} | ${row.plans.join(' → ') || '-'} | ${row.onSystemd ?? 'not run'} |`).join('\n') || '| not run | | | | |'}

## Phases 2 and 3

Added overhead of phases 2 and 3 with the heuristic agents, excluding the agents' own time: ${phaseOverhead.phases23Ms.median?.toFixed(2)} ms per task
(${phaseOverhead.tasks} tasks through phases 1–3 to escalation, real stores, an in-memory adapter; goal < 50 ms). The heuristic agents themselves took ${phaseOverhead.agentMsPerTask.toFixed(2)} ms per task.

## Dashboard API throughput

${dashboardSection(dashboard)}

## Fault suite (fix rate per phase)

${total} faults injected in the lab; fixed ${Math.round(faults.fixRate * 100)}%: ${Object.entries(faults.byPhase)
    .map(([phase, count]) => `phase ${phase}: ${count} (${Math.round((100 * count) / total)}%)`)
    .join(', ')}.
Later rounds show learning: a fault first fixed in phase 2 is fixed in phase 1 from the learned pattern.

| fault | round | outcome | phase | source | detect → verified (ms) |
|---|---|---|---|---|---|
${rows.join('\n')}
`;
}

await main();
