/**
 * The whole daemon on the process adapter, without root or systemd: the demo's stack (a cache, an app that needs
 * it, a worker with a lock file) as real processes. A killed app is fixed in phase 1 by a restart and the second
 * time from what was learned; a killed worker's stale lock is removed; a fault no action fixes goes through
 * phases 2 and 3 to a person, and nothing the process adapter cannot do (reset-failed) is ever tried.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../../src/config/load.js';
import { createDaemon, realAdapters, type Daemon } from '../../src/main.js';
import { silentLogger } from '../../src/core/logger.js';
import { writeDemoStack, type DemoStack } from '../../src/demo/stack.js';
import type { ProcessAdapter } from '../../src/adapters/process/process-adapter.js';

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

describe('the daemon on the process adapter (the demo stack)', () => {
  let directory: string;
  let stack: DemoStack;
  let daemon: Daemon;
  const pid = async (name: string) => (await daemon.adapter.statusMany([name])).get(name)!.mainPid;
  const poll = async (what: string, done: () => Promise<boolean> | boolean) => {
    for (let waited = 0; waited < 300; waited++) {
      if (await done()) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const state = async (name: string) => (await daemon.adapter.statusMany([name])).get(name)!.state;
  /** Kills a running service's main process and waits until the adapter sees it failed. */
  const kill = async (name: string) => {
    await poll(`${name} running`, async () => (await state(name)) === 'running');
    const main = await pid(name);
    expect(main).toBeGreaterThan(1);
    process.kill(main, 'SIGKILL');
    await poll(`${name} failed`, async () => (await state(name)) === 'failed');
  };
  /** Runs watch passes until a new task of `service` has ended. */
  const settle = async (service: string, before: number) => {
    await poll(`a closed task of ${service}`, async () => {
      await daemon.orchestrator.runCycle('watch');
      await daemon.orchestrator.idle();
      const tasks = daemon.stores.tasks.list({ service, limit: 50 });
      return tasks.length > before && tasks.every((task) => task.status !== 'open' && task.status !== 'running');
    });
  };
  const count = (service: string) => daemon.stores.tasks.list({ service, limit: 50 }).length;

  beforeAll(async () => {
    directory = mkdtempSync(path.join(tmpdir(), 'orchestrator-process-pipeline-'));
    stack = writeDemoStack(directory, { appPort: await freePort(), cachePort: await freePort(), webPort: 0 });
    const config = parseConfigText(`${stack.configYaml}\nphases: { quickFix: { backoff: 100ms } }\n`.replace('web: { port: 0 }', 'web: { enabled: false }'), 'demo');
    daemon = createDaemon({ config, logger: silentLogger, adapters: realAdapters(config) });
    await (daemon.adapter.for!('app') as ProcessAdapter).startAll();
    await poll('the stack healthy', async () => (await daemon.detector.verify('app')).every((check) => check.ok) && (await state('worker')) === 'running');
  });
  afterAll(async () => {
    await daemon?.adapter.close?.();
    daemon?.stores.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('fixes a killed app in phase 1 with a restart, and the second time from what it learned', async () => {
    await kill('app');
    await settle('app', 0);
    const [first] = daemon.stores.tasks.list({ service: 'app', limit: 5 });
    expect(first).toMatchObject({ status: 'fixed', fixedByPhase: 1 });
    expect(daemon.stores.attempts.forTask(first!.id).at(-1)).toMatchObject({ outcome: 'success', planKey: 'restart_unit(unit=app)' });
    await kill('app');
    await settle('app', 1);
    const [second] = daemon.stores.tasks.list({ service: 'app', limit: 5 });
    expect(second!.id).not.toBe(first!.id);
    expect(daemon.stores.attempts.forTask(second!.id)[0]).toMatchObject({ source: 'learned', outcome: 'success' });
  });

  it('removes the lock file a killed worker left behind, then starts it', async () => {
    const before = count('worker');
    await kill('worker');
    await settle('worker', before);
    const [task] = daemon.stores.tasks.list({ service: 'worker', limit: 5 });
    expect(task).toMatchObject({ status: 'fixed', fixedByPhase: 1 });
    expect(daemon.stores.attempts.forTask(task!.id).map((attempt) => attempt.planKey)).toContain(`remove_stale_file(path=${stack.lockFile}) + start_unit(unit=worker)`);
  });

  it('escalates a full spool after phases 2 and 3, never trying what the adapter cannot do', async () => {
    writeFileSync(path.join(stack.spoolDir, 'huge.out'), Buffer.alloc(21 * 1024 * 1024));
    await daemon.orchestrator.runOnce();
    const [task] = daemon.stores.tasks.list({ service: 'worker', limit: 5 });
    expect(task).toMatchObject({ status: 'escalated' });
    const attempts = daemon.stores.attempts.forTask(task!.id);
    expect(attempts.length).toBeGreaterThan(0);
    expect(attempts.every((attempt) => !attempt.planKey.includes('reset_failed') && !attempt.planKey.includes('vacuum_journal'))).toBe(true);
    expect(daemon.stores.escalations.list({ limit: 5 }).some((escalation) => escalation.service === 'worker')).toBe(true);
  });
});
