/**
 * The faults of the comparison that apply to the process adapter, run against the whole daemon (in this process)
 * supervising the demo's stack of real processes: a cache, an app that needs it, a worker with a lock file,
 * and a small dedicated filesystem (a 16 MB tmpfs, in a private mount namespace) with an allow-listed cache
 * directory. Each fault's outcome is set beside the same fault's outcome on systemd in
 * bench/comparison-results.json.
 *
 *   npx tsx bench/process-faults.ts     (root, for the tmpfs; it re-runs itself under `unshare -m`)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfigText } from '../src/config/load.js';
import { createDaemon, realAdapters, type Daemon } from '../src/main.js';
import { silentLogger } from '../src/core/logger.js';
import { writeDemoStack } from '../src/demo/stack.js';
import { freePort } from '../src/adapters/host/free-port.js';
import type { ProcessAdapter } from '../src/adapters/process/process-adapter.js';
import type { AdapterRegistry } from '../src/adapters/adapter-registry.js';
import type { Task } from '../src/core/types.js';

export interface ProcessFaultResult {
  fault: string;
  title: string;
  expected: string;
  outcome: string;
  correct: boolean;
  phase: number | null;
  plans: string[];
  detectMs: number | null;
  recoverMs: number | null;
  /** The same fault's outcome on systemd in the comparison (bench/comparison-results.json), if it was run. */
  onSystemd: string | null;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface ProcessFault {
  /** The comparison's fault of the same kind. */
  id: string;
  title: string;
  service: string;
  expected: 'fixed' | 'fixed-in-phase-1';
  inject: (context: { pid: (service: string) => Promise<number>; cache: string; stop: (service: string) => Promise<void> }) => Promise<void>;
}

const FAULTS: ProcessFault[] = [
  { id: 'kill-app', title: 'kill -9 of the app', service: 'app', expected: 'fixed', inject: async ({ pid }) => void process.kill(await pid('app'), 'SIGKILL') },
  {
    id: 'stale-lock',
    title: 'kill -9 of the worker: its lock file blocks the next start (a stale pid file)',
    service: 'worker',
    expected: 'fixed',
    inject: async ({ pid }) => void process.kill(await pid('worker'), 'SIGKILL'),
  },
  {
    id: 'kill-redis',
    title: 'kill -9 of the cache the app depends on',
    service: 'cache',
    expected: 'fixed',
    inject: async ({ pid }) => void process.kill(await pid('cache'), 'SIGKILL'),
  },
  { id: 'dependency-stopped', title: "the app's dependency (the cache) stopped", service: 'cache', expected: 'fixed', inject: async ({ stop }) => stop('cache') },
  {
    id: 'disk-full',
    title: 'old cache files fill the small dedicated filesystem (94 %)',
    service: 'host',
    expected: 'fixed',
    inject: async ({ cache }) => {
      const old = new Date(Date.now() - 2 * 86_400_000);
      for (let index = 1; index <= 14; index++) {
        const file = path.join(cache, `blob-${index}.bin`);
        writeFileSync(file, Buffer.alloc(1048576));
        utimesSync(file, old, old);
      }
    },
  },
  {
    id: 'stale-lock-again',
    title: 'the stale lock again (second occurrence)',
    service: 'worker',
    expected: 'fixed-in-phase-1',
    inject: async ({ pid }) => void process.kill(await pid('worker'), 'SIGKILL'),
  },
];

function systemdOutcomes(): Map<string, string> {
  const file = path.join(here, 'comparison-results.json');
  if (!existsSync(file)) return new Map();
  const results = JSON.parse(readFileSync(file, 'utf8')) as { systems: Array<{ id: string; faults: Array<{ fault: string; outcome: string; correct: boolean }> }> };
  const orchestrator = results.systems.find((system) => system.id === 'orchestrator');
  return new Map((orchestrator?.faults ?? []).map((fault) => [fault.fault, `${fault.outcome}${fault.correct ? '' : ' (wrong)'}`]));
}

export async function benchProcessFaults(log: (line: string) => void): Promise<ProcessFaultResult[]> {
  const directory = mkdtempSync(path.join(tmpdir(), 'orchestrator-process-faults-'));
  const spool = path.join(directory, 'small-fs');
  mkdirSync(spool);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0755', 'tmpfs', spool]).status === 0;
  if (!mounted) throw new Error(`cannot mount a tmpfs on ${spool} (root in a private mount namespace is needed)`);
  const cache = path.join(spool, 'cache');
  mkdirSync(cache);
  let daemon: Daemon | undefined;
  const controller = new AbortController();
  try {
    const stack = writeDemoStack(directory, { appPort: await freePort(), cachePort: await freePort(), webPort: await freePort() });
    // The demo's stack, watched as it is by default (1 s watch, pushed exits), plus the small filesystem.
    const yaml = stack.configYaml
      .replace(
        'host: { disk: { enabled: false }, inodes: { enabled: false }, memory: { enabled: false } }',
        `host: { disk: { mounts: [${spool}], maxUsedPercent: 80 }, inodes: { enabled: false }, memory: { enabled: false }, cleanup: [{ path: ${cache}, olderThan: 1h }] }`,
      )
      .replace('safety: { budget: { actions: 6, window: 5m } }', 'safety: { budget: { actions: 50, window: 5m } }')
      .replace(/web: \{ port: \d+ \}/, 'web: { enabled: false }');
    const config = parseConfigText(yaml, 'process-faults');
    const adapters = realAdapters(config, silentLogger);
    const processes = (adapters.adapter as AdapterRegistry).adapters().find((adapter) => adapter.kind === 'process') as ProcessAdapter;
    await processes.startAll();
    daemon = createDaemon({ config, logger: silentLogger, adapters });
    const running = daemon.orchestrator.runForever(controller.signal);
    const pid = async (service: string) => (await daemon!.adapter.statusMany([service])).get(service)?.mainPid ?? 0;
    const healthy = async () => (await daemon!.orchestrator.runCycle('full')) !== undefined && daemon!.stores.tasks.listTracking().length === 0;
    const onSystemd = systemdOutcomes();
    const results: ProcessFaultResult[] = [];
    for (const fault of FAULTS) {
      const deadline = Date.now() + 30_000;
      while (!(await healthy()) && Date.now() < deadline) await sleep(500);
      const before = new Set(daemon.stores.tasks.list({ service: fault.service, limit: 100 }).map((task) => task.id));
      const injectedAt = Date.now();
      await fault.inject({ pid, cache, stop: async (service) => void (await daemon!.adapter.stop(service)) });
      let task: Task | undefined;
      const until = Date.now() + 90_000;
      while (Date.now() < until) {
        // The disk check runs in full cycles: run one now and then, as the 5 min cycle would.
        if (fault.service === 'host') await daemon.orchestrator.runCycle('full');
        task = daemon.stores.tasks.list({ service: fault.service, limit: 100 }).find((candidate) => !before.has(candidate.id));
        if (task && task.status !== 'open' && task.status !== 'running') break;
        await sleep(100);
      }
      const attempts = task ? daemon.stores.attempts.forTask(task.id) : [];
      const outcome = !task ? 'not detected' : task.status === 'fixed' ? `fixed in phase ${task.fixedByPhase}` : task.status;
      const correct = task?.status === 'fixed' && (fault.expected === 'fixed' || task.fixedByPhase === 1);
      const result: ProcessFaultResult = {
        fault: fault.id,
        title: fault.title,
        expected: fault.expected,
        outcome,
        correct,
        phase: task?.fixedByPhase ?? null,
        plans: attempts.map((attempt) => attempt.planKey),
        detectMs: task ? task.detectedAt - injectedAt : null,
        recoverMs: task?.closedAt ? task.closedAt - injectedAt : null,
        onSystemd: onSystemd.get(fault.id) ?? null,
      };
      results.push(result);
      log(
        `  ${fault.id}: ${outcome}${correct ? '' : ' (WRONG)'}, detected after ${result.detectMs} ms, ${result.plans.join(' → ') || 'no action'}; on systemd: ${result.onSystemd ?? 'not run'}`,
      );
      if (fault.id === 'disk-full') {
        rmSync(cache, { recursive: true, force: true });
        mkdirSync(cache);
      }
    }
    controller.abort();
    await running;
    return results;
  } finally {
    controller.abort();
    await daemon?.adapter.close?.();
    daemon?.stores.close();
    spawnSync('umount', [spool]);
    rmSync(directory, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.getuid?.() === 0 && !process.env.PROCESS_FAULTS_UNSHARED) {
    // A private mount namespace, so the tmpfs is nobody else's business.
    const child = spawnSync('unshare', ['-m', '--propagation', 'private', process.execPath, ...process.execArgv, process.argv[1]!], {
      stdio: 'inherit',
      env: { ...process.env, PROCESS_FAULTS_UNSHARED: '1' },
    });
    process.exit(child.status ?? 1);
  }
  const results = await benchProcessFaults((line) => console.log(line));
  mkdirSync(path.join(here, 'results'), { recursive: true });
  writeFileSync(path.join(here, 'results', 'process-faults.json'), `${JSON.stringify({ at: new Date().toISOString(), results }, null, 2)}\n`);
  console.log(`\n${results.filter((result) => result.correct).length}/${results.length} correct`);
}
