/**
 * The added overhead of phases 2 and 3 with the heuristic backend, excluding model time: the real pipeline,
 * real SQLite stores, the real heuristic agents, and an in-memory service adapter whose actions take no time and
 * never fix anything (so every task runs through phases 1, 2 and 3 to escalation). The time spent inside the
 * agents' diagnose() is measured separately and subtracted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../src/config/load.js';
import { createDaemon } from '../src/main.js';
import { silentLogger } from '../src/core/logger.js';
import { ManualClock } from '../test/support/manual-clock.js';
import { HeuristicAgent } from '../src/agents/heuristic/heuristic-agent.js';
import type { Agent } from '../src/agents/agent.js';
import { ADAPTER_CAPABILITIES, type CommandResult, type ServiceAdapter, type ServiceStatus } from '../src/core/ports.js';
import { nodeFileSystem } from '../src/adapters/host/node-file-system.js';
import { summary } from './stats.js';

const ok = (argv: string[]): CommandResult => ({ argv, exitCode: 0, signal: null, stdout: '', stderr: '', timedOut: false, truncated: false, durationMs: 0 });

/** A unit that stays failed whatever is done to it. */
function failedStatus(name: string): ServiceStatus {
  return {
    name,
    state: 'failed',
    loadState: 'loaded',
    activeState: 'failed',
    subState: 'failed',
    unitFileState: 'static',
    mainPid: 0,
    result: 'exit-code',
    execMainStatus: 1,
    execMainCode: 'exited',
    restarts: 0,
    serviceType: 'simple',
    activeSince: null,
  };
}

class StuckAdapter implements ServiceAdapter {
  readonly kind = 'memory';
  readonly capabilities = new Set(ADAPTER_CAPABILITIES);
  async statusMany(units: readonly string[]) {
    return new Map(units.map((unit) => [unit, failedStatus(unit)]));
  }
  async listFailed() {
    return [];
  }
  start = async (unit: string) => ok(['start', unit]);
  stop = async (unit: string) => ok(['stop', unit]);
  restart = async (unit: string) => ok(['restart', unit]);
  reload = async (unit: string) => ok(['reload', unit]);
  resetFailed = async (unit: string) => ok(['reset-failed', unit]);
  kill = async (unit: string) => ok(['kill', unit]);
  async runtimePaths() {
    return { directories: [] };
  }
  async logs(unit: string) {
    return [`${unit}: fatal: cannot start`, `${unit}: Main process exited, code=exited, status=1/FAILURE`];
  }
  async dependencies() {
    return [];
  }
}

class TimedAgent implements Agent {
  totalMs = 0;
  constructor(private readonly inner: Agent) {}
  get name() {
    return this.inner.name;
  }
  async diagnose(...args: Parameters<Agent['diagnose']>) {
    const started = performance.now();
    try {
      return await this.inner.diagnose(...args);
    } finally {
      this.totalMs += performance.now() - started;
    }
  }
}

export async function benchPhaseOverhead(tasks: number): Promise<{ tasks: number; phases23Ms: ReturnType<typeof summary>; agentMsPerTask: number }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'orchestrator-bench-'));
  try {
    const services = Array.from({ length: tasks }, (_, index) => `  - { name: s${index}, unit: s${index}.service }`).join('\n');
    const config = parseConfigText(
      `dataDir: ${dataDir}\ncycle: { watchFailedUnits: false, workers: 1 }\nsafety: { budget: { actions: 1000 }, rateLimit: { actions: 100000 } }\nhost: { disk: { enabled: false }, inodes: { enabled: false }, memory: { enabled: false } }\nphases: { quickFix: { restartAttempts: 1 } }\nservices:\n${services}\n`,
      'bench',
    );
    const clock = new ManualClock(Date.now());
    const agents = {
      research: new TimedAgent(new HeuristicAgent()),
      systems: new TimedAgent(new HeuristicAgent()),
      application: new TimedAgent(new HeuristicAgent()),
      dependencies: new TimedAgent(new HeuristicAgent()),
    };
    const adapter = new StuckAdapter();
    const daemon = createDaemon({
      config,
      logger: silentLogger,
      adapters: { runner: { run: async (argv) => ok([...argv]) }, adapter, probes: undefined as never, files: nodeFileSystem, clock },
      agents,
    });
    const started = performance.now();
    await daemon.orchestrator.runOnce();
    const elapsed = performance.now() - started;
    // Phases 2 and 3 per task: the whole run, less the same run without them, less the agents' own time.
    const phaseOne = await timePhaseOne(dataDir, tasks, clock);
    const agentMs = Object.values(agents).reduce((sum, agent) => sum + agent.totalMs, 0);
    const perTask = (elapsed - phaseOne - agentMs) / tasks;
    daemon.stores.close();
    return { tasks, phases23Ms: summary([perTask]), agentMsPerTask: agentMs / tasks };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The same run with phases 2 and 3 disabled: what phase 1, detection and tracking cost on their own. */
async function timePhaseOne(baseDir: string, tasks: number, clock: ManualClock): Promise<number> {
  const dataDir = `${baseDir}-p1`;
  try {
    const services = Array.from({ length: tasks }, (_, index) => `  - { name: s${index}, unit: s${index}.service }`).join('\n');
    const config = parseConfigText(
      `dataDir: ${dataDir}\ncycle: { watchFailedUnits: false, workers: 1 }\nsafety: { budget: { actions: 1000 }, rateLimit: { actions: 100000 } }\nhost: { disk: { enabled: false }, inodes: { enabled: false }, memory: { enabled: false } }\nphases: { quickFix: { restartAttempts: 1 }, research: { enabled: false }, consensus: { enabled: false } }\nservices:\n${services}\n`,
      'bench',
    );
    const daemon = createDaemon({
      config,
      logger: silentLogger,
      adapters: { runner: { run: async (argv) => ok([...argv]) }, adapter: new StuckAdapter(), probes: undefined as never, files: nodeFileSystem, clock },
    });
    const started = performance.now();
    await daemon.orchestrator.runOnce();
    const elapsed = performance.now() - started;
    daemon.stores.close();
    return elapsed;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
