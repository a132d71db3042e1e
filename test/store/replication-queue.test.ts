/**
 * The replication queue in the host's own stores: one entry per changed row however often it changes, oldest change
 * first; an entry taken and pushed is removed only if its row did not change again meanwhile (no lost update);
 * joining queues the history once, an upgrade only what is newly replicated; without a fleet store nothing is kept.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openStores, type Stores } from '../../src/store/stores.js';
import { writeTask } from '../support/tasks.js';

let dir: string;
let stores: Stores;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'orchestrator-replication-'));
  stores = openStores(dir);
});
afterEach(() => {
  stores.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the replication queue', () => {
  it('keeps nothing while no fleet store is configured', () => {
    writeTask(stores, 1_000, 'web', { id: 't1' });
    expect(stores.replication.enabled()).toBe(false);
    expect(stores.replication.backlog()).toBe(0);
  });

  it('queues the history once when a host joins, then each change, one entry per row', () => {
    writeTask(stores, 1_000, 'web', { id: 't1' });
    stores.state.setPause(true, 1_000, 'x', 'cli:a');
    stores.replication.enable({ backfill: 'new' });
    expect(
      stores.replication
        .take(10)
        .map((entry) => `${entry.table}:${entry.id}`)
        .sort(),
    ).toEqual(['state:pause', 'tasks:t1']);
    stores.tasks.touch('t1', 2_000);
    stores.tasks.touch('t1', 3_000);
    writeTask(stores, 4_000, 'db', { id: 't2', fingerprint: 'fp-2' });
    expect(stores.replication.backlog()).toBe(3);
    const taken = stores.replication.take(10).filter((entry) => entry.table === 'tasks');
    expect(taken.map((entry) => entry.id)).toEqual(['t1', 't2']);
    // Joining again (a restart) queues nothing twice.
    stores.replication.enable({ backfill: 'new' });
    expect(stores.replication.backlog()).toBe(3);
  });

  it('removes a pushed entry only if its row did not change again since it was taken', () => {
    stores.replication.enable({ backfill: 'new' });
    writeTask(stores, 1_000, 'web', { id: 't1' });
    writeTask(stores, 1_000, 'db', { id: 't2', fingerprint: 'fp-2' });
    const taken = stores.replication.take(10);
    stores.tasks.touch('t1', 2_000); // changed while the push was on its way
    stores.replication.done(taken);
    expect(stores.replication.take(10).map((entry) => entry.id)).toEqual(['t1']);
  });

  it('queues a table that an upgrade starts replicating, without queueing the others again', () => {
    stores.replication.enable({ backfill: 'new' });
    writeTask(stores, 1_000, 'web', { id: 't1' });
    stores.replication.done(stores.replication.take(10));
    stores.state.setPause(true, 1_000, 'x', 'cli:a');
    stores.replication.done(stores.replication.take(10));
    // As if this version had not replicated state before: its triggers are new.
    const other = new Database(path.join(dir, 'tasks.db'));
    other.exec('DROP TRIGGER replicate_state_insert; DROP TRIGGER replicate_state_update');
    other.close();
    stores.replication.enable({ backfill: 'new' });
    expect(stores.replication.take(10).map((entry) => `${entry.table}:${entry.id}`)).toEqual(['state:pause']);
    stores.replication.enable({ backfill: 'all' });
    expect(
      stores.replication
        .take(10)
        .map((entry) => entry.table)
        .sort(),
    ).toEqual(['state', 'tasks']);
  });

  it('stops and forgets when the fleet store is removed', () => {
    stores.replication.enable({ backfill: 'new' });
    writeTask(stores, 1_000, 'web', { id: 't1' });
    stores.replication.disable();
    writeTask(stores, 2_000, 'db', { id: 't2', fingerprint: 'fp-2' });
    expect(stores.replication.enabled()).toBe(false);
    expect(stores.replication.backlog()).toBe(0);
  });
});
