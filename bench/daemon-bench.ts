/**
 * The orchestrator's own figures, measured in the systemd lab with the real daemon: detection latency and time
 * to a verified fix for a killed unit; full cycle time with 200 configured units; RSS after 1,000 cycles.
 */
import { SystemdLab } from '../test/lab/systemd-lab.js';
import { appUnit, LabDaemon, HOST_CHECKS_OFF } from '../test/lab/lab-daemon.js';
import { summary } from './stats.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface DetectionResult {
  detectionMs: ReturnType<typeof summary>;
  detectToVerifiedMs: ReturnType<typeof summary>;
  killToVerifiedMs: ReturnType<typeof summary>;
}

/** Kills a small node service `rounds` times; the daemon watches with its default 1 s interval. */
export async function benchDetection(rounds: number, log: (line: string) => void): Promise<DetectionResult> {
  const lab = await SystemdLab.boot({ name: 'bench-detect' });
  const daemon = new LabDaemon(lab, 'bench-detect');
  try {
    await lab.writeUnit('bench-app.service', appUnit('bench app', { PORT: '18181' }));
    await lab.systemctl('start', 'bench-app.service');
    daemon.writeConfig(`
cycle: { interval: 5m, watchInterval: 1s, watchFailedUnits: false }
safety: { budget: { actions: 100000, window: 15m }, rateLimit: { actions: 100000, window: 1m } }
${HOST_CHECKS_OFF}
services:
  - name: app
    unit: bench-app.service
    checks:
      - { type: http, url: "http://127.0.0.1:18181/", timeout: 2s }
`);
    await daemon.startAndWait();
    const detection: number[] = [];
    const toVerified: number[] = [];
    const total: number[] = [];
    for (let round = 0; round < rounds; round++) {
      // Kill at a random phase of the watch interval, as real faults do.
      await sleep(500 + Math.random() * 1000);
      const pid = await lab.mainPid('bench-app.service');
      const killedAt = Date.now();
      await lab.exec(['kill', '-9', String(pid)]);
      await lab.waitFor(async () => daemon.tasks('app').filter((task) => task.status === 'fixed').length === round + 1, {
        what: `fix ${round + 1}`,
        timeoutMs: 60_000,
        intervalMs: 50,
      });
      const task = daemon.tasks('app')[round]!;
      const detectedAt = Date.parse(`${task.detected_at.replace(' ', 'T')}Z`);
      detection.push(detectedAt - killedAt);
      toVerified.push(task.duration_ms!);
      total.push(detectedAt - killedAt + task.duration_ms!);
      log(`  round ${round + 1}: detected after ${detectedAt - killedAt} ms, verified healthy ${task.duration_ms} ms later`);
    }
    return { detectionMs: summary(detection), detectToVerifiedMs: summary(toVerified), killToVerifiedMs: summary(total) };
  } finally {
    await daemon.kill('SIGTERM').catch(() => undefined);
    await lab.stop();
  }
}

export interface CycleResult {
  units: number;
  cycles: number;
  fullCycleMs: ReturnType<typeof summary>;
  rssMbAfter100Cycles: number;
  rssMbAfterAllCycles: number;
  rssGrowthMb: number;
  /** Of the final RSS: the daemon's private memory, and file pages (node's own binary, mostly; shared). */
  rssAnonMbAfterAllCycles: number;
  rssFileMbAfterAllCycles: number;
}

/** 200 configured units (sleep services), full cycles back to back; RSS sampled at cycle 100 and at the end. */
export async function benchCycles(units: number, cycles: number, log: (line: string) => void, nodeFlags?: string[]): Promise<CycleResult> {
  const lab = await SystemdLab.boot({ name: 'bench-cycles' });
  const daemon = new LabDaemon(lab, 'bench-cycles');
  try {
    for (let index = 0; index < units; index++) {
      await lab.writeFile(`/run/systemd/system/bench-u${index}.service`, `[Unit]\nDescription=bench unit ${index}\n[Service]\nExecStart=/bin/sleep infinity\n`);
    }
    await lab.systemctl('daemon-reload');
    await lab.exec(['systemctl', 'start', ...Array.from({ length: units }, (_, index) => `bench-u${index}.service`)], { timeoutMs: 120_000 });
    const services = Array.from({ length: units }, (_, index) => `  - { name: u${index}, unit: bench-u${index}.service }`).join('\n');
    daemon.writeConfig(`
cycle: { interval: 10ms, watchInterval: 1s, watchFailedUnits: false }
host: { disk: { enabled: true }, inodes: { enabled: true }, memory: { enabled: true, maxUsedPercent: 100 } }
logLevel: warn
services:
${services}
`);
    daemon.start([], nodeFlags);
    const count = () => daemon.query<{ n: number }>('tasks', `SELECT COUNT(*) AS n FROM cycles WHERE kind = 'full'`)[0]?.n ?? 0;
    const memory = async () => {
      const status = (await lab.exec(['cat', `/proc/${daemon.daemonPid()}/status`])).stdout;
      const mb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
      return { rss: mb('VmRSS'), anon: mb('RssAnon'), file: mb('RssFile') };
    };
    const rss = async () => (await memory()).rss;
    await lab.waitFor(async () => count() >= 100, { what: '100 cycles', timeoutMs: 600_000, intervalMs: 500 });
    const early = await rss();
    log(`  after ${count()} cycles: RSS ${early.toFixed(1)} MB`);
    await lab.waitFor(async () => count() >= cycles, { what: `${cycles} cycles`, timeoutMs: 1_800_000, intervalMs: 1000 });
    const { rss: late, anon, file } = await memory();
    log(`  after ${count()} cycles: RSS ${late.toFixed(1)} MB (private ${anon.toFixed(1)} MB, file-backed ${file.toFixed(1)} MB)`);
    const durations = daemon.query<{ duration_ms: number }>('tasks', `SELECT duration_ms FROM cycles WHERE kind = 'full' AND id > 10`).map((row) => row.duration_ms);
    const issues = daemon.query<{ n: number }>('tasks', `SELECT COUNT(*) AS n FROM tasks`)[0]!.n;
    if (issues > 0) log(`  note: ${issues} task(s) were created during the cycle run`);
    return {
      units,
      cycles: count(),
      fullCycleMs: summary(durations),
      rssMbAfter100Cycles: round(early),
      rssMbAfterAllCycles: round(late),
      rssGrowthMb: round(late - early),
      rssAnonMbAfterAllCycles: round(anon),
      rssFileMbAfterAllCycles: round(file),
    };
  } finally {
    await daemon.kill('SIGTERM').catch(() => undefined);
    await lab.stop();
  }
}

const round = (value: number) => Math.round(value * 10) / 10;

/**
 * One measure alone, its result written to bench/results/<measure>.json (npm run bench runs both with the rest):
 *   npx tsx bench/daemon-bench.ts detection|cycles     (root: the systemd lab; BENCH_ROUNDS, BENCH_CYCLES)
 */
if (import.meta.url === `file://${process.argv[1]}`) {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const path = await import('node:path');
  const measure = process.argv[2];
  const log = (line: string) => console.log(line);
  const result =
    measure === 'detection'
      ? await benchDetection(Number(process.env.BENCH_ROUNDS ?? 20), log)
      : measure === 'cycles'
        ? await benchCycles(200, Number(process.env.BENCH_CYCLES ?? 1000), log)
        : undefined;
  if (!result) {
    console.error('usage: npx tsx bench/daemon-bench.ts detection|cycles');
    process.exit(2);
  }
  const directory = path.join(path.dirname(new URL(import.meta.url).pathname), 'results');
  mkdirSync(directory, { recursive: true });
  writeFileSync(path.join(directory, `${measure}.json`), `${JSON.stringify({ at: new Date().toISOString(), ...result }, null, 2)}\n`);
  console.log(JSON.stringify(result));
}
