/**
 * One conformance suite for every ServiceAdapter: state transitions, a kill seen, restart, logs, a stale pid
 * file, capability refusal, and (where the adapter can watch) a kill pushed to a listener. Each adapter's test
 * file gives a fixture; a case that cannot apply to an adapter is skipped with the reason printed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { Executor } from '../../src/actions/executor.js';
import { nodeFileSystem } from '../../src/adapters/host/node-file-system.js';
import { ConfigSnapshots } from '../../src/store/config-snapshots.js';
import { systemClock } from '../../src/runtime/clock.js';
import { PolicyRefusal } from '../../src/core/errors.js';
import type { CommandRunner, ServiceAdapter } from '../../src/core/ports.js';

export interface ConformanceFixture {
  adapter: ServiceAdapter;
  /** A healthy service that prints a line with `marker` every 200 ms while it runs. */
  service: string;
  marker: string;
  /** SIGKILL of the service's main process from outside. */
  killMain(pid: number): Promise<void>;
  /** A service whose pid file names a dead pid; undefined (with the reason) when the adapter has no such thing. */
  stalePidService?: string;
  stalePidSkip?: string;
  /** An action the adapter cannot run for lack of a capability, or undefined with the reason. */
  unsupported?: { type: string; params: Record<string, string>; capability: string };
  unsupportedSkip?: string;
  cleanup(): Promise<void>;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function adapterConformance(makeFixture: () => Promise<ConformanceFixture>): void {
  let fixture: ConformanceFixture;
  const status = async (name = fixture.service) => (await fixture.adapter.statusMany([name])).get(name);
  const state = async (wanted: string, name = fixture.service) => waitFor(`${name} ${wanted}`, async () => ((await status(name))?.state === wanted ? true : undefined));

  beforeAll(async () => {
    fixture = await makeFixture();
  });
  afterAll(async () => {
    await fixture?.cleanup();
  });

  it('starts a stopped service, which then runs with a main pid; stop makes it stopped', async () => {
    await fixture.adapter.stop(fixture.service);
    await state('stopped');
    const started = await fixture.adapter.start(fixture.service);
    expect(started.exitCode, started.stderr).toBe(0);
    await state('running');
    expect((await status())!.mainPid).toBeGreaterThan(1);
    expect((await fixture.adapter.stop(fixture.service)).exitCode).toBe(0);
    await state('stopped');
    await fixture.adapter.start(fixture.service);
    await state('running');
  });

  it('sees a kill -9 of the main process as failed by a signal; restart brings it back with a new pid', async () => {
    const before = (await status())!.mainPid;
    await fixture.killMain(before);
    await state('failed');
    const failed = (await status())!;
    expect(failed.result).toBe('signal');
    expect(failed.execMainStatus).toBe(9);
    expect((await fixture.adapter.restart(fixture.service)).exitCode).toBe(0);
    await state('running');
    expect((await status())!.mainPid).not.toBe(before);
  });

  it('returns the lines the service printed', async () => {
    const lines = await waitFor('a log line', async () => {
      const found = await fixture.adapter.logs(fixture.service, { lines: 50, sinceMs: 60_000 });
      return found.some((line) => line.includes(fixture.marker)) ? found : undefined;
    });
    expect(lines.length).toBeLessThanOrEqual(50);
  });

  it('reads a service whose pid file names a dead process as not running', async (context) => {
    if (!fixture.stalePidService) {
      console.warn(`conformance: stale pid file case skipped for ${fixture.adapter.kind}: ${fixture.stalePidSkip}`);
      return context.skip();
    }
    const stale = await status(fixture.stalePidService);
    expect(stale?.state).not.toBe('running');
    expect(stale?.mainPid).toBe(0);
  });

  it('refuses an action whose capability the adapter lacks, through the real executor', async (context) => {
    if (!fixture.unsupported) {
      console.warn(`conformance: capability refusal skipped for ${fixture.adapter.kind}: ${fixture.unsupportedSkip}`);
      return context.skip();
    }
    const config = parseConfigText(`services:\n  - { name: svc, unit: ${fixture.service}.service }\n`, 'conformance');
    const service = { ...config.services[0]!, unit: fixture.service };
    const executor = new Executor({
      adapter: fixture.adapter,
      runner: {} as CommandRunner,
      files: nodeFileSystem,
      config,
      snapshots: new ConfigSnapshots(config.dataDir),
      clock: systemClock,
    });
    const scope = { service, dependencyUnits: [], runtimeDirectories: [], configTestFor: () => undefined };
    const refusal = await executor.execute({ type: fixture.unsupported.type, params: { unit: fixture.service, ...fixture.unsupported.params } }, scope).catch((error) => error);
    expect(refusal).toBeInstanceOf(PolicyRefusal);
    expect((refusal as Error).message).toContain(fixture.unsupported.capability);
  });

  it('tells a watch listener about a kill without being asked', async (context) => {
    if (!fixture.adapter.watch) {
      console.warn(`conformance: watch case skipped for ${fixture.adapter.kind}: it does not push state changes`);
      return context.skip();
    }
    await state('running');
    const heard: string[] = [];
    const stop = fixture.adapter.watch([fixture.service], (name) => heard.push(name));
    try {
      await fixture.killMain((await status())!.mainPid);
      await waitFor('the listener', async () => (heard.includes(fixture.service) ? true : undefined));
    } finally {
      stop();
      await fixture.adapter.restart(fixture.service);
    }
  });
}
