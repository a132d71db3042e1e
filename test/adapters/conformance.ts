/**
 * One conformance suite for every ServiceAdapter (DESIGN.md, ports): what the core relies on, checked against a
 * real service manager. Each adapter's test file gives a fixture; a case that cannot apply to an adapter is
 * skipped with the fixture's reason printed (never silently).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { fileExecutor } from '../support/file-executor.js';
import { PolicyRefusal } from '../../src/core/errors.js';
import type { Action } from '../../src/core/types.js';
import type { ServiceAdapter, ServiceStatus } from '../../src/core/ports.js';

/** A case the adapter cannot take part in, and why. */
export interface NotApplicable {
  notApplicable: string;
}

export interface ConformanceFixture {
  adapter: ServiceAdapter;
  /** The handle of a healthy service: a `node -e` loop (the suite starts and stops it). */
  service: string;
  /** SIGKILL of the service's main process from outside the adapter (kill -9 PID). */
  killMain(pid: number): Promise<void>;
  /** Makes the service print a line (SIGUSR1 to its main process); resolves with text the line contains. */
  printLogLine(pid: number): Promise<string>;
  /** A handle the adapter is given whose program or unit does not exist. */
  missingService: string | NotApplicable;
  /** A service found by a pid file that names a dead process. */
  stalePidService: string | NotApplicable;
  /** An action needing a capability the adapter does not declare, with that capability's name. */
  lacking: { action: Action; capability: string } | NotApplicable;
  cleanup(): Promise<void>;
}

const WAIT_MS = 20_000;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function applies<T>(input: T | NotApplicable, adapter: ServiceAdapter, what: string): input is T {
  if (typeof input === 'object' && input !== null && 'notApplicable' in input) {
    console.warn(`adapter conformance: "${what}" skipped for the ${adapter.kind} adapter: ${input.notApplicable}`);
    return false;
  }
  return true;
}

/** Registers the suite as `describe(name)`; `makeFixture` runs once before its cases, `cleanup` once after. */
export function describeAdapterConformance(name: string, makeFixture: () => Promise<ConformanceFixture>): void {
  describe(name, () => {
    let fixture: ConformanceFixture | undefined;
    const current = () => {
      if (!fixture) throw new Error('the fixture was not built');
      return fixture;
    };
    const status = async (handle = current().service): Promise<ServiceStatus | undefined> => (await current().adapter.statusMany([handle])).get(handle);
    const reach = (state: ServiceStatus['state'], handle = current().service) =>
      waitFor(`${handle} to be ${state}`, async () => {
        const found = await status(handle);
        return found?.state === state ? found : undefined;
      });
    const running = async (): Promise<ServiceStatus> => {
      const now = await status();
      if (now?.state !== 'running' && now?.state !== 'starting') expect((await current().adapter.start(current().service)).exitCode).toBe(0);
      return reach('running');
    };

    beforeAll(async () => {
      fixture = await makeFixture();
    });
    afterAll(async () => {
      await fixture?.cleanup();
    });

    it('goes stopped → start → running → stop → stopped, in the neutral states and systemd’s words', async () => {
      const { adapter, service } = current();
      const stoppedFirst = await adapter.stop(service); // A no-op for a service never started.
      expect(stoppedFirst.exitCode, stoppedFirst.stderr).toBe(0);
      expect(await reach('stopped')).toMatchObject({ name: service, loadState: 'loaded', activeState: 'inactive', mainPid: 0 });
      const started = await adapter.start(service);
      expect(started.exitCode, started.stderr).toBe(0);
      const up = await reach('running');
      expect(up).toMatchObject({ activeState: 'active', subState: 'running' });
      expect(up.mainPid).toBeGreaterThan(1);
      expect(up.activeSince).toBeGreaterThan(Date.now() - 120_000);
      const stopped = await adapter.stop(service);
      expect(stopped.exitCode, stopped.stderr).toBe(0);
      expect(await reach('stopped')).toMatchObject({ activeState: 'inactive', mainPid: 0, result: 'success' });
    });

    it('sees a kill -9 of the main process as failed by a signal', async () => {
      const up = await running();
      await current().killMain(up.mainPid);
      const failed = await reach('failed');
      expect(failed).toMatchObject({ activeState: 'failed', result: 'signal', execMainStatus: 9, execMainCode: 'killed', mainPid: 0 });
    });

    it('brings a failed service back on restart, with a new main pid', async () => {
      const { adapter, service } = current();
      const up = await running();
      await current().killMain(up.mainPid);
      await reach('failed');
      const restarted = await adapter.restart(service);
      expect(restarted.exitCode, restarted.stderr).toBe(0);
      const again = await reach('running');
      expect(again.mainPid).toBeGreaterThan(1);
      expect(again.mainPid).not.toBe(up.mainPid);
      const once = await adapter.restart(service);
      expect(once.exitCode, once.stderr).toBe(0);
      expect((await reach('running')).mainPid).not.toBe(again.mainPid);
    });

    it('returns a line the service printed, within the window and the line budget', async () => {
      const { adapter, service } = current();
      const up = await running();
      const text = await current().printLogLine(up.mainPid);
      const lines = await waitFor(`a log line with "${text}"`, async () => {
        const found = await adapter.logs(service, { lines: 50, sinceMs: 60_000 });
        return found.some((line) => line.includes(text)) ? found : undefined;
      });
      expect(lines.length).toBeLessThanOrEqual(50);
      expect((await adapter.logs(service, { lines: 1 })).length).toBeLessThanOrEqual(1);
    });

    it('reads a service whose program or unit does not exist as missing, and a start of it fails without throwing', async (context) => {
      const { adapter, missingService } = current();
      if (!applies(missingService, adapter, 'missing service')) return context.skip();
      expect((await status(missingService))?.state ?? 'missing').toBe('missing');
      const started = await adapter.start(missingService);
      expect(started.exitCode).not.toBe(0);
      expect(`${started.stderr}${started.spawnError ?? ''}`).not.toBe('');
    });

    it('reads a service whose pid file names a dead process as not running', async (context) => {
      const { adapter, stalePidService } = current();
      if (!applies(stalePidService, adapter, 'stale pid file')) return context.skip();
      const stale = await status(stalePidService);
      expect(stale).toBeDefined();
      expect(['stopped', 'failed']).toContain(stale!.state);
      expect(stale!.mainPid).toBe(0);
    });

    it('has the real executor refuse an action whose capability the adapter lacks', async (context) => {
      const { adapter, service, lacking } = current();
      if (!applies(lacking, adapter, 'capability refusal')) return context.skip();
      expect(adapter.capabilities.has(lacking.capability as never)).toBe(false);
      const config = parseConfigText(`services:\n  - { name: conformance, unit: conformance.service }\n`, 'conformance');
      const subject = { ...config.services[0]!, unit: service };
      const executor = fileExecutor(config, adapter);
      const scope = { service: subject, dependencyUnits: [], runtimeDirectories: [], configTestFor: () => undefined, capabilities: adapter.capabilities };
      const refusal: unknown = await executor.execute(lacking.action, scope).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refusal).toBeInstanceOf(PolicyRefusal);
      expect((refusal as Error).message).toContain(lacking.capability);
    });

    it('tells a watch listener about a kill without being asked', async (context) => {
      const { adapter, service } = current();
      if (!applies(adapter.watch ? 'watches' : { notApplicable: 'it has no watch(): its states are polled' }, adapter, 'watch')) return context.skip();
      const up = await running();
      const heard: string[] = [];
      const stopWatching = adapter.watch!([service], (name) => heard.push(name));
      try {
        // Pushes are promised only once the adapter says they are live (the D-Bus adapter must first learn the unit's path).
        if (adapter.eventsLive) await waitFor('the watch to be live', async () => (adapter.eventsLive!([service]) ? true : undefined));
        await current().killMain(up.mainPid);
        await waitFor('the listener to hear of the kill', async () => (heard.includes(service) ? true : undefined));
        expect((await reach('failed')).result).toBe('signal');
      } finally {
        stopWatching();
      }
      const heardBefore = heard.length;
      await adapter.restart(service);
      await reach('running');
      expect(heard).toHaveLength(heardBefore);
    });
  });
}

/** The fixture this suite first took: a service already running that prints `marker` every 200 ms. */
export interface RunningServiceFixture {
  adapter: ServiceAdapter;
  service: string;
  marker: string;
  killMain(pid: number): Promise<void>;
  stalePidService?: string;
  stalePidSkip?: string;
  unsupported?: { type: string; params: Record<string, string>; capability: string };
  unsupportedSkip?: string;
  missingService?: string;
  cleanup(): Promise<void>;
}

/** The suite for a fixture in the first shape (test files written against it keep running every case). */
export function adapterConformance(makeFixture: () => Promise<RunningServiceFixture>): void {
  describeAdapterConformance('adapter conformance', async () => {
    const fixture = await makeFixture();
    return {
      adapter: fixture.adapter,
      service: fixture.service,
      killMain: (pid) => fixture.killMain(pid),
      printLogLine: async () => fixture.marker,
      missingService: fixture.missingService ?? { notApplicable: 'the fixture names no service that does not exist' },
      stalePidService: fixture.stalePidService ?? { notApplicable: fixture.stalePidSkip ?? 'the fixture has no pid-file service' },
      lacking: fixture.unsupported
        ? { action: { type: fixture.unsupported.type, params: { unit: fixture.service, ...fixture.unsupported.params } } as Action, capability: fixture.unsupported.capability }
        : { notApplicable: fixture.unsupportedSkip ?? 'the fixture names no action the adapter lacks' },
      cleanup: () => fixture.cleanup(),
    };
  });
}
