/**
 * Daemons of several hosts sharing one fleet store (SQLite here: the same port and conformance suite as
 * PostgreSQL's): what host A learned fixes the same fault on host B in phase 1; the fleet budget makes B wait while
 * A acts, and refuses when A never lets go; a host that stops reporting becomes one escalation, resolved when it is
 * back; the fleet kill switch stops every host; rows written while the fleet store is down wait and are sent later.
 * Real daemons (createDaemon) on memory service adapters and manual clocks.
 */
import { unreachableWhile } from '../support/unreachable-fleet-store.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../../src/config/load.js';
import { createDaemon, type Daemon } from '../../src/main.js';
import { silentLogger } from '../../src/core/logger.js';
import { nodeFileSystem } from '../../src/adapters/host/node-file-system.js';
import { SqliteFleetStore } from '../../src/store/fleet/sqlite-fleet-store.js';
import type { FleetStore } from '../../src/store/fleet/fleet-store.js';
import { FleetMember } from '../../src/fleet/fleet-member.js';
import { parseMatcher } from '../../src/core/label-matchers.js';
import { MemoryAdapter, commandOk } from '../support/memory-adapter.js';
import { systemClock } from '../../src/runtime/clock.js';
import { LEASE_POLL_MS, nextTickMs } from '../../src/fleet/fleet-member.js';
import type { Clock } from '../../src/core/ports.js';

/** Real time (phases' budgets and settling run for real, briefly), moved on by hand to make minutes pass. */
class SteppedClock implements Clock {
  private offset = 0;
  /** Called instead of sleeping when a host waits for a fleet lease: the time passes at once. */
  onLeaseWait: () => Promise<void> | void = () => undefined;
  now(): number {
    return Date.parse('2026-11-24T12:00:00Z') + Math.round(performance.now()) + this.offset;
  }
  monotonic(): number {
    return performance.now() + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (ms !== LEASE_POLL_MS) return systemClock.sleep(ms, signal);
    this.advance(ms);
    await this.onLeaseWait();
  }
}

let base: string;
let fleet: SqliteFleetStore;
const daemons: Daemon[] = [];

beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'orchestrator-fleet-'));
  fleet = new SqliteFleetStore(path.join(base, 'fleet.db'));
});
afterEach(async () => {
  for (const daemon of daemons.splice(0)) daemon.stores.close();
  await fleet.close();
  rmSync(base, { recursive: true, force: true });
});

interface Host {
  daemon: Daemon & { fleet: FleetMember };
  units: MemoryAdapter;
  clock: SteppedClock;
}

function host(name: string, options: { store?: FleetStore; fleet?: string } = {}): Host {
  const dataDir = path.join(base, name);
  mkdirSync(dataDir);
  const config = parseConfigText(
    `dataDir: ${dataDir}
cycle: { interval: 1h, watchInterval: 1s, watchFailedUnits: false }
verification: { settle: 10ms }
host: { disk: { enabled: false }, inodes: { enabled: false }, memory: { enabled: false } }
fleet: { hostName: ${name}, silentAfter: 5m, ${options.fleet ?? 'leaseFor: 1m'} }
services:
  - { name: web, unit: web.service }
`,
    'test',
  );
  const units = new MemoryAdapter();
  const clock = new SteppedClock();
  const runner = { run: async (argv: readonly string[]) => commandOk(argv) };
  const daemon = createDaemon({
    config,
    logger: silentLogger,
    adapters: { runner, adapter: units, probes: undefined as never, files: nodeFileSystem, clock },
    fleetStore: options.store ?? fleet,
  }) as Daemon & { fleet: FleetMember };
  daemons.push(daemon);
  return { daemon, units, clock };
}

async function failAndHandle(target: Host): Promise<void> {
  target.units.states.set('web.service', 'failed');
  await target.daemon.orchestrator.runCycle('full');
  await target.daemon.orchestrator.idle();
}

describe('a fleet of daemons', () => {
  it('fixes on host B in phase 1 what host A learned, saying where it was learned', async () => {
    const a = host('host-a');
    const b = host('host-b');
    await a.daemon.fleet.tick();
    await b.daemon.fleet.tick();
    await failAndHandle(a);
    const [fixedOnA] = a.daemon.stores.tasks.list({ service: 'web' });
    expect(fixedOnA).toMatchObject({ status: 'fixed', fixedByPhase: 1 });
    await a.daemon.fleet.tick(); // replicates the task, its attempt and the pattern it taught
    expect(await fleet.patterns()).toEqual([expect.objectContaining({ host: a.daemon.fleet.status().hostId, service: 'web', successes: 1 })]);
    expect((await fleet.tasks({ limit: 10 })).map((task) => [task.host, task.status])).toEqual([[a.daemon.fleet.status().hostId, 'fixed']]);

    await failAndHandle(b);
    const [fixedOnB] = b.daemon.stores.tasks.list({ service: 'web' });
    expect(fixedOnB).toMatchObject({ status: 'fixed', fixedByPhase: 1 });
    const [attempt] = b.daemon.stores.attempts.forTask(fixedOnB!.id);
    expect(attempt).toMatchObject({ source: 'learned', planKey: 'restart_unit(unit=web.service)', outcome: 'success' });
    expect(attempt!.reason).toMatch(/^learned on host-a: fixed "unit_failed:signal" there 1 of 1 times \(fleet confidence 0\.50; none here yet\)$/);
  });

  it('makes a host wait while another runs the same action on the same service, and refuses when the budget never frees', async () => {
    const a = host('host-a');
    const b = host('host-b');
    await a.daemon.fleet.tick();
    await b.daemon.fleet.tick();
    // Host A is restarting web (it holds the fleet lease) when web fails on host B.
    const held = await a.daemon.fleet.acquire('web', ['restart_unit'], new AbortController().signal);
    let waited = 0;
    b.clock.onLeaseWait = async () => {
      if (++waited === 3) await held.release(); // A verified its fix: the budget frees
    };
    await failAndHandle(b);
    expect(waited).toBe(3);
    const [task] = b.daemon.stores.tasks.list({ service: 'web' });
    expect(task).toMatchObject({ status: 'fixed', fixedByPhase: 1 });
    expect(await fleet.leases(b.clock.now())).toEqual([]); // B let go after verifying

    // A never lets go (its daemon hangs with the lease): B gives up after fleet.leaseFor and says who holds it.
    const c = host('host-c');
    await c.daemon.fleet.tick();
    await fleet.acquireLease({ key: 'web:restart_unit', holder: a.daemon.fleet.status().hostId, limit: 1, ttlMs: 3_600_000, now: a.clock.now() });
    c.units.states.set('web.service', 'failed');
    await c.daemon.orchestrator.runCycle('full');
    await c.daemon.orchestrator.idle();
    const refused = c.daemon.stores.attempts.forTask(c.daemon.stores.tasks.list({ service: 'web' })[0]!.id);
    expect(refused[0]).toMatchObject({ outcome: 'refused' });
    expect(refused[0]!.detail).toMatch(/^the fleet budget for web:restart_unit is taken by host-a \(at most 1 host\(s\) at once\)$/);
    expect(c.units.actions).toEqual([]);
  });

  it('renews a held lease while the plan runs, and lets it go at release', async () => {
    const a = host('host-a', { fleet: 'leaseFor: 3s' });
    await a.daemon.fleet.tick();
    const held = await a.daemon.fleet.acquire('web', ['restart_unit'], new AbortController().signal);
    const [first] = await fleet.leases(a.clock.now());
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // one renewal (every leaseFor / 3, at least 1 s)
    const [renewed] = await fleet.leases(a.clock.now());
    expect(renewed!.expiresAt).toBeGreaterThan(first!.expiresAt);
    expect(renewed!.acquiredAt).toBe(first!.acquiredAt);
    await held.release();
    expect(await fleet.leases(a.clock.now())).toEqual([]);
  });

  it('raises one escalation for a host that stopped reporting, from one daemon only, and resolves it when the host is back', async () => {
    const a = host('host-a');
    const b = host('host-b');
    const c = host('host-c');
    for (const each of [a, b, c]) await each.daemon.fleet.tick();
    // Six minutes on, A and B reporting each minute, C not at all.
    for (let minute = 0; minute < 6; minute++) {
      for (const each of [a, b]) {
        each.clock.advance(60_000);
        await each.daemon.fleet.tick();
      }
    }
    const escalations = [a, b].flatMap((each) => each.daemon.stores.escalations.list({}));
    expect(escalations).toHaveLength(1);
    expect(escalations[0]).toMatchObject({ service: 'host:host-c', symptom: 'host_silent', status: 'open' });
    expect(escalations[0]!.reason).toMatch(/^host-c: orchestrator silent for [56] min, last seen 2026-11-24T12:00:0\d\.\d{3}Z$/);
    expect((await fleet.hosts()).find((each) => each.name === 'host-c')!.silentSince).not.toBeNull();

    c.clock.advance(7 * 60_000);
    await c.daemon.fleet.tick();
    const raisedBy = a.daemon.stores.escalations.list({}).length === 1 ? a : b;
    await raisedBy.daemon.fleet.tick();
    expect(raisedBy.daemon.stores.escalations.list({})[0]).toMatchObject({ status: 'auto_resolved', resolution: 'auto-resolved: host-c: its orchestrator reports again' });
    expect((await fleet.hosts()).find((each) => each.name === 'host-c')!.silentSince).toBeNull();
  });

  it('stops every host with the fleet kill switch', async () => {
    const a = host('host-a');
    await fleet.setFleetPause({ paused: true, by: 'cli:alice', reason: 'bad release', at: a.clock.now() });
    await a.daemon.fleet.tick();
    await failAndHandle(a);
    const [task] = a.daemon.stores.tasks.list({ service: 'web' });
    const attempts = a.daemon.stores.attempts.forTask(task!.id);
    expect(attempts[0]).toMatchObject({ outcome: 'refused', detail: "the fleet's kill switch is on (by cli:alice: bad release)" });
    expect(a.units.actions).toEqual([]);
  });

  it('holds a service on every host with a fleet-wide silence, and acts again once it is expired', async () => {
    const a = host('host-a');
    await fleet.addFleetSilence({
      id: 'fleet-silence-1',
      matchers: [parseMatcher('service="web"')],
      startsAt: a.clock.now() - 1_000,
      endsAt: a.clock.now() + 3_600_000,
      schedule: null,
      author: 'cli:alice',
      comment: 'rolling kernel upgrade',
      createdAt: a.clock.now(),
      expiredAt: null,
      expiredBy: null,
    });
    await a.daemon.fleet.tick();
    expect(a.daemon.silences.active(a.daemon.detector.service('web')!)).toMatchObject({ kind: 'fleet', author: 'cli:alice' });
    await failAndHandle(a);
    expect(a.units.actions).toEqual([]);
    const [held] = a.daemon.stores.tasks.list({ service: 'web' });
    expect(held!.status).not.toBe('fixed');
    expect(await fleet.expireFleetSilence('fleet-silence-1', 'cli:bob', a.clock.now())).toBe(true);
    await a.daemon.fleet.tick();
    expect(a.daemon.silences.active(a.daemon.detector.service('web')!)).toBeUndefined();
    await a.daemon.orchestrator.runCycle('full');
    await a.daemon.orchestrator.idle();
    expect(a.units.actions).toEqual(['restart web.service']);
  });

  it('keeps healing while the fleet store is down, and sends what it wrote once it is back', async () => {
    const store = { down: true };
    const flaky = unreachableWhile(fleet, store);
    const a = host('host-a', { store: flaky });
    await a.daemon.fleet.tick();
    expect(a.daemon.fleet.status()).toMatchObject({ reachable: false, lastError: 'connection refused' });
    await failAndHandle(a);
    const [task] = a.daemon.stores.tasks.list({ service: 'web' });
    expect(task).toMatchObject({ status: 'fixed' });
    // The attempt says the fleet could not be asked; this host's own budget decided.
    expect(a.daemon.stores.attempts.forTask(task!.id)[0]!.detail).toMatch(/^the fleet store could not be asked \(connection refused\): acted on this host's budget only; /);
    await a.daemon.fleet.tick();
    expect(a.daemon.stores.state.fleetStatus<{ reachable: boolean }>()!.status.reachable).toBe(false);

    store.down = false;
    await a.daemon.fleet.tick();
    const status = a.daemon.fleet.status();
    expect(status).toMatchObject({ reachable: true, lastError: null, replication: { backlog: 0, error: null } });
    expect((await fleet.tasks({ limit: 10 })).map((row) => [row.id, row.status])).toEqual([[task!.id, 'fixed']]);
    expect(await fleet.attempts(status.hostId, task!.id)).toHaveLength(1);
    expect(await fleet.patterns()).toHaveLength(1);
    // The other repositories too, row by row: its state (the kill switch here), never the fleet status itself.
    a.daemon.stores.state.setPause(true, a.clock.now(), 'maintenance', 'cli:alice');
    await a.daemon.fleet.tick();
    const state = await fleet.rows({ kind: 'state', host: status.hostId, limit: 50 });
    expect(state.find((row) => row.id === 'pause')!.data).toMatchObject({ key: 'pause', value: expect.stringContaining('"paused":true') });
    expect(state.map((row) => row.id)).not.toContain('fleet');
  });
});

describe('reconnecting to the fleet store', () => {
  it('tries again after 1 s, 2 s, 4 s ... and never less often than the heartbeat', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 40].map((failures) => nextTickMs(30_000, failures))).toEqual([30_000, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    expect(nextTickMs(500, 3)).toBe(500);
  });
});
