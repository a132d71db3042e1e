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
  const results = { machine, detection, cycles: cycleRun };
  mkdirSync(here, { recursive: true });
  writeFileSync(path.join(here, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(here, 'results.md'), report(results));
  log(report(results));
}

function report(results: { machine: Record<string, unknown>; detection: Awaited<ReturnType<typeof benchDetection>>; cycles: Awaited<ReturnType<typeof benchCycles>> }): string {
  const { detection, cycles, machine } = results;
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
`;
}

await main();
