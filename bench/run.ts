/**
 * `npm run bench`: measures what the issues name and writes bench/results.json and bench/results.md.
 * Needs root (the systemd lab); says so and exits 1 otherwise.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { labAvailability } from '../test/lab/systemd-lab.js';
import { benchCycles, benchDetection } from './daemon-bench.js';
import { benchPhaseOverhead } from './phase-overhead.js';
import { runFaultSuite } from './fault-suite.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const availability = labAvailability();
  if (!availability.ok) {
    log(`bench: cannot run: ${availability.reason}`);
    process.exitCode = 1;
    return;
  }
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
  const results = { machine, detection, cycles: cycleRun, phaseOverhead, faults };
  mkdirSync(here, { recursive: true });
  writeFileSync(path.join(here, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(here, 'results.md'), report(results));
  log(report(results));
}

interface Results {
  machine: Record<string, unknown>;
  detection: Awaited<ReturnType<typeof benchDetection>>;
  cycles: Awaited<ReturnType<typeof benchCycles>>;
  phaseOverhead: Awaited<ReturnType<typeof benchPhaseOverhead>>;
  faults: Awaited<ReturnType<typeof runFaultSuite>>;
}

function report(results: Results): string {
  const { detection, cycles, machine, phaseOverhead, faults } = results;
  const rows = faults.outcomes.map((outcome) => `| ${outcome.fault} | ${outcome.round} | ${outcome.outcome} | ${outcome.phase ?? '-'} | ${outcome.source ?? '-'} | ${outcome.detectToVerifiedMs ?? '-'} |`);
  const total = faults.outcomes.length;
  return `# Benchmark results

Measured by \`npm run bench\` on ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb} GB, Linux ${machine.kernel}, Node ${machine.node}, ${machine.date}.
Everything runs in the systemd lab (a real systemd in its own namespaces) against the real daemon.

| measure | median | p95 | goal |
|---|---|---|---|
| detection latency, kill -9 → task (${detection.detectionMs.n} rounds) | ${detection.detectionMs.median} ms | ${detection.detectionMs.p95} ms | median < 2 s |
| detection → verified healthy, phase-1 restart | ${detection.detectToVerifiedMs.median} ms | ${detection.detectToVerifiedMs.p95} ms | median < 3 s |
| kill -9 → verified healthy | ${detection.killToVerifiedMs.median} ms | ${detection.killToVerifiedMs.p95} ms | |
| full cycle, ${cycles.units} configured units + host checks | ${cycles.fullCycleMs.median} ms | ${cycles.fullCycleMs.p95} ms | < 1 s |

Daemon RSS with ${cycles.units} units: ${cycles.rssMbAfter100Cycles} MB after 100 cycles, ${cycles.rssMbAfterAllCycles} MB after ${cycles.cycles} cycles (growth ${cycles.rssGrowthMb} MB; goal < 80 MB, no growth).

The verified-healthy time includes the verification settle (1 s by default) and the unit's own start.

## Phases 2 and 3

Added overhead of phases 2 and 3 with the heuristic agents, excluding the agents' own time: ${phaseOverhead.phases23Ms.median?.toFixed(2)} ms per task
(${phaseOverhead.tasks} tasks through phases 1–3 to escalation, real stores, an in-memory adapter; goal < 50 ms). The heuristic agents themselves took ${phaseOverhead.agentMsPerTask.toFixed(2)} ms per task.

## Fault suite (fix rate per phase)

${total} faults injected in the lab; fixed ${Math.round(faults.fixRate * 100)}%: ${Object.entries(faults.byPhase).map(([phase, count]) => `phase ${phase}: ${count} (${Math.round((100 * count) / total)}%)`).join(', ')}.
Later rounds show learning: a fault first fixed in phase 2 is fixed in phase 1 from the learned pattern.

| fault | round | outcome | phase | source | detect → verified (ms) |
|---|---|---|---|---|---|
${rows.join('\n')}
`;
}

await main();
