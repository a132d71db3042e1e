// One daemon as `orchestrator run` builds it (from the compiled dist/), for the fleet benchmark: 20 services under
// the process adapter (real `sleep` children), full cycles back to back for DURATION seconds while one task a
// second is written to its stores (as faults would be), on its own (SQLite only) or with a PostgreSQL fleet store
// (then its fleet member heartbeats and replicates every second). Prints one JSON line: each cycle's duration,
// the rows replicated and the process's RSS.
// Usage: node fleet-daemon.mjs DATA_DIR DURATION_S [POSTGRES_URL]
import { mkdirSync } from 'node:fs';
import { parseConfigText } from '../dist/config/load.js';
import { createDaemon, realAdapters } from '../dist/main.js';
import { silentLogger } from '../dist/core/logger.js';
import { PostgresFleetStore } from '../dist/store/fleet/postgres-fleet-store.js';

const [dataDir, durationText, url] = process.argv.slice(2);
if (!dataDir || !durationText) {
  process.stderr.write('usage: fleet-daemon.mjs DATA_DIR DURATION_S [POSTGRES_URL]\n');
  process.exit(2);
}
mkdirSync(dataDir, { recursive: true });
const services = Array.from({ length: 20 }, (_, index) => `  - { name: svc${index}, process: { argv: [/bin/sleep, "3600"] } }`).join('\n');
const config = parseConfigText(
  `dataDir: ${dataDir}\ncycle: { interval: 1h, watchFailedUnits: false }\nhost: { disk: { enabled: false }, inodes: { enabled: false }, memory: { enabled: false } }\nfleet: { hostName: bench-daemon, heartbeat: 1s }\nservices:\n${services}\n`,
  'bench',
);
const fleetStore = url ? new PostgresFleetStore({ connectionString: url, poolMax: 2 }) : undefined;
const adapters = realAdapters(config, silentLogger);
const daemon = createDaemon({ config, logger: silentLogger, adapters, fleetStore });
const controller = new AbortController();
const fleetLoop = daemon.fleet?.run(controller.signal);
await daemon.orchestrator.runCycle('full'); // starts the children
await new Promise((resolve) => setTimeout(resolve, 500));

const cycles = [];
const deadline = Date.now() + Number(durationText) * 1000;
let written = 0;
let nextWrite = Date.now();
while (Date.now() < deadline) {
  if (Date.now() >= nextWrite) {
    // A fault's worth of rows: a task opened and closed, as the pipeline writes them.
    const now = Date.now();
    const id = `bench-${process.pid}-${written++}`;
    daemon.stores.tasks.create({
      id,
      fingerprint: `fp-${id}`,
      service: `svc${written % 20}`,
      unit: `svc${written % 20}`,
      checkId: 'unit',
      symptom: 'unit_failed',
      signature: 'unit_failed:signal',
      status: 'open',
      phase: null,
      message: 'bench fault',
      evidence: { logs: ['bench'], checks: [] },
      detectedAt: now,
      lastSeen: now,
      occurrences: 1,
      closedAt: null,
      fixSuccessful: false,
      fixedByPhase: null,
      durationMs: null,
      reason: null,
    });
    daemon.stores.tasks.finish(id, { status: 'fixed', fixSuccessful: true, fixedByPhase: 1, closedAt: now + 1, durationMs: 1, reason: 'bench' });
    nextWrite += 1_000;
  }
  const started = performance.now();
  await daemon.orchestrator.runCycle('full');
  cycles.push(performance.now() - started);
}
await daemon.fleet?.tick();
const replication = daemon.fleet?.status().replication ?? null;
const rssMb = process.memoryUsage().rss / 1_048_576;
controller.abort();
await fleetLoop;
await daemon.adapter.close?.();
await fleetStore?.close();
daemon.stores.close();
process.stdout.write(`${JSON.stringify({ cycles, written, replication, rssMb })}\n`);
process.exit(0);
