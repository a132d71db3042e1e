/**
 * The watch loop with pushed state changes: while the adapter says its events are live, the watch sleeps a long
 * sweep (EVENT_SWEEP_MS) and an event wakes it at once; when they are not (the bus is down, an adapter that
 * cannot push), it polls at cycle.watchInterval.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../../src/config/load.js';
import { createDaemon, type Daemon } from '../../src/main.js';
import { silentLogger } from '../../src/core/logger.js';
import { nodeFileSystem } from '../../src/adapters/host/node-file-system.js';
import { EVENT_SWEEP_MS } from '../../src/runtime/orchestrator.js';
import type { StateListener } from '../../src/core/ports.js';
import { MemoryAdapter, commandOk } from '../support/memory-adapter.js';
import { ManualClock } from '../support/manual-clock.js';

/** A memory adapter that pushes changes, live or not as the test says. */
class PushingAdapter extends MemoryAdapter {
  live = true;
  private readonly listeners = new Set<StateListener>();
  watch(_names: readonly string[], listener: StateListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
  eventsLive(): boolean {
    return this.live;
  }
  push(name: string): void {
    for (const listener of this.listeners) listener(name);
  }
}

/** Manual time whose sleeps are recorded; a short one yields for 1 ms of real time, a sweep or longer only ends when woken. */
class RecordingClock extends ManualClock {
  readonly sleeps: number[] = [];
  override async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (signal?.aborted) throw signal.reason;
    await new Promise<void>((resolve, reject) => {
      const timer = ms >= EVENT_SWEEP_MS ? undefined : setTimeout(resolve, 1);
      signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
    });
    this.advance(ms);
  }
}

let dataDir: string;
let daemon: Daemon | undefined;
beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'orchestrator-watch-'));
});
afterEach(() => {
  daemon?.stores.close();
  daemon = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

function start(units: PushingAdapter, clock: RecordingClock): Daemon {
  const config = parseConfigText(
    `dataDir: ${dataDir}
cycle: { interval: 1h, watchInterval: 1s, watchFailedUnits: false }
verification: { settle: 10ms }
host: { disk: { enabled: false }, inodes: { enabled: false }, memory: { enabled: false } }
services:
  - { name: app, unit: app.service }
`,
    'test',
  );
  const runner = { run: async (argv: readonly string[]) => commandOk(argv) };
  daemon = createDaemon({ config, logger: silentLogger, adapters: { runner, adapter: units, probes: undefined as never, files: nodeFileSystem, clock } });
  return daemon;
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the watch loop and pushed changes', () => {
  it('sweeps every EVENT_SWEEP_MS while events are live, and a pushed change wakes it at once', async () => {
    const units = new PushingAdapter({ restartMs: 0 });
    const clock = new RecordingClock();
    const { orchestrator, stores } = start(units, clock);
    const controller = new AbortController();
    const running = orchestrator.runForever(controller.signal);
    await settle(100);
    expect(clock.sleeps).toContain(EVENT_SWEEP_MS);
    expect(clock.sleeps).not.toContain(1_000);

    // The unit dies: only the push can wake the watch (a sweep here ends only when woken).
    units.states.set('app.service', 'failed');
    units.push('app.service');
    await settle(30);
    controller.abort();
    await running;
    const tasks = stores.tasks.list({ service: 'app' });
    expect(tasks).toHaveLength(1);
    expect(tasks[0]!.symptom).toBe('unit_failed');
  });

  it('polls at cycle.watchInterval while events are not live (the bus is down)', async () => {
    const units = new PushingAdapter();
    units.live = false;
    const clock = new RecordingClock();
    const { orchestrator } = start(units, clock);
    const controller = new AbortController();
    const running = orchestrator.runForever(controller.signal);
    await settle(150);
    controller.abort();
    await running;
    expect(clock.sleeps.filter((ms) => ms === 1_000).length).toBeGreaterThan(1);
    expect(clock.sleeps).not.toContain(EVENT_SWEEP_MS);
  });

  it('counts as alive from its start, before the first cycle has finished (the watchdog is fed, no error at a normal start)', () => {
    const { orchestrator } = start(new PushingAdapter(), new RecordingClock());
    expect(orchestrator.madeProgress(60_000)).toBe(true);
  });
});
