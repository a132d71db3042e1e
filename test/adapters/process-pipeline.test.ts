/**
 * The whole daemon on the process adapter, without root or systemd. First one HTTP service and one with a pid
 * file, from a YAML config: the orchestrator starts what nobody started, a SIGKILL is fixed in phase 1 by a
 * restart and the service answers again, and a stop that leaves a stale pid file behind is fixed by removing it.
 * Then the demo's stack (a cache, an app that needs it, a worker with a lock file) as real processes: a killed app
 * is fixed in phase 1 and the second time from what was learned; a killed worker's stale lock is removed; a fault
 * no action fixes goes through phases 2 and 3 to a person, and nothing the process adapter cannot do
 * (reset-failed) is ever tried.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/adapters/host/free-port.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../../src/config/load.js';
import { createDaemon, realAdapters, type Daemon } from '../../src/main.js';
import { silentLogger } from '../../src/core/logger.js';
import { writeDemoStack, type DemoStack } from '../../src/demo/stack.js';
import { ProcessAdapter } from '../../src/adapters/process/process-adapter.js';
import { AdapterRegistry } from '../../src/adapters/adapter-registry.js';
import { nodeProbes } from '../../src/adapters/host/node-probes.js';
import { nodeFileSystem } from '../../src/adapters/host/node-file-system.js';
import { ProcessCommandRunner } from '../../src/runtime/command-runner.js';
import { systemClock } from '../../src/runtime/clock.js';
import { MemoryAdapter } from '../support/memory-adapter.js';
import { deadPid, waitUntil } from '../support/processes.js';

const HTTP_APP = fileURLToPath(new URL('../fixtures/http-app.mjs', import.meta.url));

describe('the daemon on the process adapter (an HTTP service from a YAML config)', () => {
  let directory: string;
  let daemon: Daemon;
  let processes: ProcessAdapter;
  let appPort: number;
  let lockedPort: number;
  let pidFile: string;
  const status = async (name: string) => (await daemon.adapter.statusMany([name])).get(name)!;
  const answers = async (port: number) => (await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined))?.status === 200;
  /** Watch passes (the cheap unit-state detection) until `service` has `count` tasks and none is open. */
  const watchUntilClosed = (service: string, count: number) =>
    waitUntil(
      `task ${count} of ${service} closed`,
      async () => {
        await daemon.orchestrator.runCycle('watch');
        await daemon.orchestrator.idle();
        const tasks = daemon.stores.tasks.list({ service, limit: 50 });
        return tasks.length >= count && tasks.every((task) => task.status !== 'open' && task.status !== 'running') ? tasks : undefined;
      },
      30_000,
    );

  beforeAll(async () => {
    directory = mkdtempSync(path.join(tmpdir(), 'orchestrator-process-http-'));
    [appPort, lockedPort] = [await freePort(), await freePort()];
    mkdirSync(path.join(directory, 'run'));
    pidFile = path.join(directory, 'run', 'locked.pid');
    const config = parseConfigText(
      `dataDir: ${path.join(directory, 'data')}
cycle: { watchFailedUnits: false }
verification: { settle: 300ms }
phases: { quickFix: { backoff: 100ms }, research: { enabled: false }, consensus: { enabled: false } }
backup: { enabled: false }
web: { enabled: false }
host: { disk: { enabled: false }, inodes: { enabled: false }, memory: { enabled: false } }
services:
  - name: app
    process: { argv: [${process.execPath}, ${HTTP_APP}], env: { PORT: "${appPort}", HOST: 127.0.0.1 }, stopTimeout: 2s }
    checks:
      - { type: http, url: "http://127.0.0.1:${appPort}/", timeout: 2s }
  - name: locked
    process: { argv: [${process.execPath}, ${HTTP_APP}], env: { PORT: "${lockedPort}", HOST: 127.0.0.1, PIDFILE: ${pidFile} }, stopTimeout: 2s }
    runtimeFiles: [${pidFile}]
    checks:
      - { type: http, url: "http://127.0.0.1:${lockedPort}/", timeout: 2s }
`,
      'process-http',
    );
    processes = new ProcessAdapter({ services: config.services.filter((service) => service.adapter === 'process'), logDirectory: path.join(directory, 'data', 'process-logs') });
    // The registry, as main.ts builds it: process services to the process adapter, anything else to a fallback.
    const adapter = new AdapterRegistry(new MemoryAdapter(), new Map(config.services.map((service) => [service.unit, processes])));
    daemon = createDaemon({
      config,
      logger: silentLogger,
      adapters: { adapter, runner: new ProcessCommandRunner(), probes: nodeProbes, files: nodeFileSystem, clock: systemClock },
    });
  });
  afterAll(async () => {
    await daemon?.adapter.close?.();
    daemon?.stores.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('starts a service nobody started: the watch sees it stopped and phase 1 starts it', async () => {
    expect((await status('app')).state).toBe('stopped');
    const [task] = await watchUntilClosed('app', 1);
    expect(task).toMatchObject({ symptom: 'unit_inactive', status: 'fixed', fixedByPhase: 1 });
    expect(await answers(appPort)).toBe(true);
    await watchUntilClosed('locked', 1);
    expect(await answers(lockedPort)).toBe(true);
  });

  it('fixes a SIGKILL in phase 1 by restart_unit, and the service answers again', async () => {
    const { mainPid } = await status('app');
    process.kill(mainPid, 'SIGKILL');
    await waitUntil('app failed', async () => ((await status('app')).state === 'failed' ? true : undefined));
    expect(await status('app')).toMatchObject({ result: 'signal', execMainStatus: 9 });
    const [task] = await watchUntilClosed('app', 2);
    expect(task).toMatchObject({ symptom: 'unit_failed', signature: 'unit_failed:signal', status: 'fixed', fixSuccessful: true, fixedByPhase: 1 });
    expect(daemon.stores.attempts.forTask(task!.id).at(-1)).toMatchObject({ phase: 1, outcome: 'success', planKey: 'restart_unit(unit=app)' });
    expect(await answers(appPort)).toBe(true);
    const restarted = await status('app');
    expect(restarted.mainPid).not.toBe(mainPid);
    expect(restarted.restarts).toBe(1);
  });

  it('fixes a stop that left a stale pid file behind by removing it, then starting the service', async () => {
    expect((await processes.stop('locked')).exitCode).toBe(0);
    writeFileSync(pidFile, `${await deadPid()}\n`); // What a crash between writing and removing it leaves.
    const [task] = await watchUntilClosed('locked', 2);
    expect(task).toMatchObject({ symptom: 'unit_inactive', status: 'fixed', fixedByPhase: 1 });
    const attempts = daemon.stores.attempts.forTask(task!.id);
    expect(attempts.at(-1)).toMatchObject({ outcome: 'success', planKey: `remove_stale_file(path=${pidFile}) + start_unit(unit=locked)` });
    expect(await answers(lockedPort)).toBe(true);
    expect(Number(readFileSync(pidFile, 'utf8'))).toBe((await status('locked')).mainPid);
    expect(existsSync(path.join(directory, 'data', 'process-logs', 'locked.log'))).toBe(true);
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
