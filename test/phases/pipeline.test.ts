/**
 * The pipeline with a dependency being fixed: when redis is killed, the watch makes a task for redis and the
 * full cycle may see the app failing (503, redis down) at the same moment. The app's task must wait for redis's
 * task and re-check, not restart the app (seen in the comparison benchmark: bench/comparison/).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../../src/config/load.js';
import { createDaemon, type Daemon } from '../../src/main.js';
import { silentLogger } from '../../src/core/logger.js';
import { systemClock } from '../../src/runtime/clock.js';
import { nodeFileSystem } from '../../src/adapters/host/node-file-system.js';
import { MemoryAdapter, commandOk } from '../support/memory-adapter.js';

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

function start(units: MemoryAdapter): Daemon {
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
  const runner = { run: async (argv: readonly string[]) => commandOk(argv, (units.states.get('redis.service') ?? 'running') === 'running' ? 0 : 1) };
  daemon = createDaemon({ config, logger: silentLogger, adapters: { runner, adapter: units, probes: undefined as never, files: nodeFileSystem, clock: systemClock } });
  return daemon;
}

describe('a service whose dependency is being fixed', () => {
  it('waits for the dependency task and re-checks instead of restarting the service', async () => {
    const units = new MemoryAdapter({ restartMs: 300 });
    units.logLines = [];
    units.states.set('redis.service', 'failed');
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
    const units = new MemoryAdapter({ restartMs: 10 });
    units.logLines = [];
    units.states.set('app.service', 'failed');
    const { orchestrator, stores } = start(units);
    await orchestrator.runOnce();
    const app = stores.tasks.list({ service: 'app' });
    expect(app).toHaveLength(1);
    expect(app[0]).toMatchObject({ status: 'fixed', fixedByPhase: 1 });
    expect(units.actions).toEqual(['restart app.service']);
  });

  it('does not restart the app while its dependency stays broken and its task is escalated: the app waits', async () => {
    const units = new MemoryAdapter({ restartMs: 10 });
    units.logLines = [];
    units.states.set('redis.service', 'failed');
    units.broken.add('redis.service');
    const { orchestrator, stores } = start(units);
    await orchestrator.runOnce();
    const [redis] = stores.tasks.list({ service: 'redis' });
    const [app] = stores.tasks.list({ service: 'app' });
    expect(redis!.status).toBe('escalated');
    expect(app).toMatchObject({ status: 'open' });
    expect(app!.reason).toMatch(/^waiting: its dependency redis is still failing \(task .*, escalated\); app is not restarted meanwhile$/);
    expect(stores.attempts.forTask(app!.id)).toEqual([]);
    expect(units.actions.filter((action) => action.includes('app.service'))).toEqual([]);
  });
});
