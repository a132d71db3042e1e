/**
 * Silences, maintenance windows and per-service autonomy, on a real daemon (memory service adapter, real SQLite
 * stores): while silenced a failure is detected and recorded but nothing is done or sent; when the silence ends
 * the still-failing service is fixed at once; autonomy off hands the failure to a human without acting.
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
import { switchAutonomy } from '../../src/control/autonomy.js';
import { MemoryAdapter, commandOk } from '../support/memory-adapter.js';

let dataDir: string;
let daemon: Daemon | undefined;

beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'orchestrator-silences-'));
});
afterEach(() => {
  daemon?.stores.close();
  daemon = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

function start(units: MemoryAdapter, extra = ''): Daemon {
  const config = parseConfigText(
    `dataDir: ${dataDir}
cycle: { watchFailedUnits: false }
verification: { settle: 10ms }
host: { disk: { enabled: false }, inodes: { enabled: false }, memory: { enabled: false } }
notify:
  webhooks: [{ name: ops, url: "http://127.0.0.1:9/hook" }]
phases: { research: { enabled: false }, consensus: { enabled: false } }
services:
  - name: app
    unit: app.service
    labels: { team: web }
  - name: db
    unit: db.service
    labels: { team: data }
${extra}`,
    'test',
  );
  const runner = { run: async (argv: readonly string[]) => commandOk(argv) };
  daemon = createDaemon({ config, logger: silentLogger, adapters: { runner, adapter: units, probes: undefined as never, files: nodeFileSystem, clock: systemClock } });
  return daemon;
}

/** HH:MM in UTC, `minutes` from now. */
function utcClock(minutes: number): string {
  return new Date(Date.now() + minutes * 60_000).toISOString().slice(11, 16);
}

describe('a silence', () => {
  it('holds a failing service: detected and recorded, nothing done or sent; expired, it is fixed at once', async () => {
    const units = new MemoryAdapter();
    units.states.set('app.service', 'failed');
    const { orchestrator, stores, silences } = start(units);
    const silence = silences.add({ matchers: ['team="web"'], endsAt: Date.now() + 3_600_000, author: 'cli:alice', comment: 'deploying' });

    await orchestrator.runOnce();
    const [task] = stores.tasks.list({ service: 'app' });
    expect(task).toMatchObject({ status: 'open' });
    expect(task!.reason).toMatch(/silenced by cli:alice until .*: deploying; detection continues, no action is taken and nothing is sent/);
    expect(units.actions).toEqual([]);
    expect(stores.escalations.active()).toEqual([]);
    expect(stores.outbox.due(Date.now() + 86_400_000, 100)).toEqual([]);

    silences.expire(silence.id, 'cli:bob');
    expect(stores.silences.get(silence.id)).toMatchObject({ expiredBy: 'cli:bob' });
    // The next pass, watch or full, sees the silence gone and handles the waiting task.
    await orchestrator.runCycle('watch');
    await orchestrator.idle();
    expect(stores.tasks.get(task!.id)).toMatchObject({ status: 'fixed', fixedByPhase: 1 });
    expect(units.actions).toEqual(['restart app.service']);
  });

  it('covers only the services its matchers select', async () => {
    const units = new MemoryAdapter();
    units.states.set('app.service', 'failed');
    units.states.set('db.service', 'failed');
    const { orchestrator, stores, silences } = start(units);
    silences.add({ matchers: ['db'], endsAt: Date.now() + 60_000, author: 'cli:alice', comment: 'migrating' });
    await orchestrator.runOnce();
    expect(stores.tasks.list({ service: 'app' })[0]).toMatchObject({ status: 'fixed' });
    expect(stores.tasks.list({ service: 'db' })[0]).toMatchObject({ status: 'open' });
    expect(units.actions).toEqual(['restart app.service']);
  });

  it('refuses what makes no sense, saying why', () => {
    const { silences } = start(new MemoryAdapter());
    const now = Date.now();
    expect(() => silences.add({ matchers: [], endsAt: now + 1000, author: 'a', comment: 'x' })).toThrow(/at least one matcher/);
    expect(() => silences.add({ matchers: ['app'], endsAt: now - 1000, author: 'a', comment: 'x' })).toThrow(/end in the past/);
    expect(() => silences.add({ matchers: ['app'], endsAt: now + 1000, author: 'a', comment: ' ' })).toThrow(/comment/);
    expect(() => silences.add({ matchers: ['team=~"(a"'], endsAt: now + 1000, author: 'a', comment: 'x' })).toThrow(/RE2/);
    expect(() => silences.add({ matchers: ['app'], endsAt: now + 400 * 86_400_000, author: 'a', comment: 'x' })).toThrow(/at most a year/);
    expect(() => silences.expire('nope', 'a')).toThrow(/no silence with id "nope"/);
  });
});

describe('a maintenance window from the config', () => {
  it('holds the services it matches while it is open, with its name in the reason', async () => {
    const units = new MemoryAdapter();
    units.states.set('db.service', 'failed');
    // Open now whatever the time: from an hour ago to an hour ahead (past midnight too).
    const { orchestrator, stores } = start(
      units,
      `maintenance:\n  - { name: nightly-backup, matchers: ['team="data"'], from: "${utcClock(-60)}", to: "${utcClock(60)}", timeZone: UTC, comment: pg_dump }\n`,
    );
    await orchestrator.runOnce();
    const [task] = stores.tasks.list({ service: 'db' });
    expect(task!.status).toBe('open');
    expect(task!.reason).toMatch(/in maintenance \(nightly-backup\) until .*: pg_dump/);
    expect(units.actions).toEqual([]);
  });

  it('does nothing outside its hours', async () => {
    const units = new MemoryAdapter();
    units.states.set('db.service', 'failed');
    const { orchestrator, stores } = start(units, `maintenance:\n  - { name: later, matchers: ['service="db"'], from: "${utcClock(120)}", to: "${utcClock(180)}" }\n`);
    await orchestrator.runOnce();
    expect(stores.tasks.list({ service: 'db' })[0]).toMatchObject({ status: 'fixed' });
  });
});

describe('per-service autonomy', () => {
  it('off: a failure goes to a human at once, nothing is tried, and who switched it is said', async () => {
    const units = new MemoryAdapter();
    units.states.set('app.service', 'failed');
    const { orchestrator, stores } = start(units);
    switchAutonomy(stores.state, 'app', 'off', 'token:alice', Date.now(), 'vendor is debugging');
    await orchestrator.runOnce();
    const [task] = stores.tasks.list({ service: 'app' });
    expect(task!.status).toBe('escalated');
    expect(task!.reason).toMatch(/automation is off for app: off \(set by token:alice .*: vendor is debugging\); nothing was tried/);
    expect(units.actions).toEqual([]);
    expect(stores.escalations.active()).toHaveLength(1);
    expect(stores.attempts.forTask(task!.id)).toEqual([]);
  });

  it('persists, and "config" returns to the configured setting', () => {
    const { stores } = start(new MemoryAdapter());
    switchAutonomy(stores.state, 'db', 'shadow', 'cli:root', Date.now());
    expect(stores.state.autonomyOverrides().get('db')).toMatchObject({ mode: 'shadow', by: 'cli:root' });
    switchAutonomy(stores.state, 'db', 'config', 'cli:root', Date.now());
    expect(stores.state.autonomyOverrides().has('db')).toBe(false);
  });
});
