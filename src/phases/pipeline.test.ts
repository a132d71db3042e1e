/**
 * The pipeline with a dependency being fixed: when redis is killed, the watch makes a task for redis and the
 * full cycle may see the app failing (503, redis down) at the same moment. The app's task must wait for redis's
 * task and re-check, not restart the app (seen in the comparison benchmark: bench/comparison/).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../config/load.js';
import { createDaemon, type Daemon } from '../main.js';
import { silentLogger } from '../core/logger.js';
import { systemClock } from '../runtime/clock.js';
import { nodeFileSystem } from '../adapters/host/node-file-system.js';
import type { CommandResult, ServiceAdapter, UnitStatus } from '../core/ports.js';

const result = (argv: readonly string[], exitCode = 0): CommandResult => ({ argv, exitCode, signal: null, stdout: '', stderr: '', timedOut: false, truncated: false, durationMs: 1 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Units whose state the test sets; a restart takes `restartMs` (activating meanwhile). */
class FakeUnits implements ServiceAdapter {
  readonly kind = 'fake';
  readonly state = new Map<string, 'active' | 'failed' | 'activating'>();
  readonly actions: string[] = [];
  constructor(private readonly restartMs: number) {}
  status(name: string): UnitStatus {
    const activeState = this.state.get(name) ?? 'active';
    return {
      name,
      loadState: 'loaded',
      activeState,
      subState: activeState === 'active' ? 'running' : activeState === 'failed' ? 'failed' : 'start',
      unitFileState: 'enabled',
      mainPid: activeState === 'active' ? 42 : 0,
      result: activeState === 'failed' ? 'signal' : 'success',
      execMainStatus: activeState === 'failed' ? 9 : 0,
      execMainCode: activeState === 'failed' ? 'killed' : 'exited',
      restarts: 0,
      serviceType: 'simple',
      activeSince: null,
    };
  }
  async statusMany(units: readonly string[]) {
    return new Map(units.map((unit) => [unit, this.status(unit)]));
  }
  async listFailed() {
    return [];
  }
  private async bringUp(verb: string, unit: string) {
    this.actions.push(`${verb} ${unit}`);
    this.state.set(unit, 'activating');
    await sleep(this.restartMs);
    this.state.set(unit, 'active');
    return result([verb, unit]);
  }
  start = (unit: string) => this.bringUp('start', unit);
  restart = (unit: string) => this.bringUp('restart', unit);
  stop = async (unit: string) => result(['stop', unit]);
  reload = async (unit: string) => result(['reload', unit]);
  resetFailed = async (unit: string) => result(['reset-failed', unit]);
  kill = async (unit: string) => result(['kill', unit]);
  async runtimePaths() {
    return { directories: [] };
  }
  async logs() {
    return [];
  }
  async dependencies() {
    return [];
  }
}

let dataDir: string;
let daemon: Daemon | undefined;

beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'orchestrator-pipeline-'));
});
afterEach(() => {
  daemon?.stores.close();
  daemon = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

function start(units: FakeUnits): Daemon {
  const config = parseConfigText(
    `dataDir: ${dataDir}
cycle: { watchFailedUnits: false }
verification: { settle: 10ms }
host: { disk: { enabled: false }, inodes: { enabled: false }, memory: { enabled: false } }
services:
  - name: redis
    unit: redis.service
  - name: app
    unit: app.service
    dependsOn: [redis]
    checks:
      - { type: command, argv: [app-health], timeout: 1s }
`,
    'test',
  );
  // The app answers only while redis is up.
  const runner = { run: async (argv: readonly string[]) => result(argv, units.state.get('redis.service') === 'active' || units.state.get('redis.service') === undefined ? 0 : 1) };
  daemon = createDaemon({ config, logger: silentLogger, adapters: { runner, adapter: units, probes: undefined as never, files: nodeFileSystem, clock: systemClock } });
  return daemon;
}

describe('a service whose dependency is being fixed', () => {
  it('waits for the dependency task and re-checks instead of restarting the service', async () => {
    const units = new FakeUnits(300);
    units.state.set('redis.service', 'failed');
    const { orchestrator, stores } = start(units);
    await orchestrator.runOnce();
    const redis = stores.tasks.list({ service: 'redis' });
    const app = stores.tasks.list({ service: 'app' });
    expect(redis).toHaveLength(1);
    expect(redis[0]).toMatchObject({ status: 'fixed', fixedByPhase: 1 });
    expect(app).toHaveLength(1);
    expect(app[0]!.status).toBe('recovered');
    expect(app[0]!.reason).toMatch(/healthy again once its dependency redis was fixed/);
    expect(stores.attempts.forTask(app[0]!.id)).toEqual([]);
    expect(units.actions).toEqual(['restart redis.service']);
  });

  it('still fixes the service itself when it fails on its own, its dependency healthy', async () => {
    const units = new FakeUnits(10);
    units.state.set('app.service', 'failed');
    const { orchestrator, stores } = start(units);
    await orchestrator.runOnce();
    const app = stores.tasks.list({ service: 'app' });
    expect(app).toHaveLength(1);
    expect(app[0]).toMatchObject({ status: 'fixed', fixedByPhase: 1 });
    expect(units.actions).toEqual(['restart app.service']);
  });
});
