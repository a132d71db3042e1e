/**
 * The fleet store's conformance suite on a real PostgreSQL (a throwaway server from Debian's package, an empty
 * database for each test), and what only PostgreSQL has: daemons migrating one database at once, and the server
 * restarting under a store's pool.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import pg from 'pg';
import { fleetStoreConformance } from './fleet-store.conformance.js';
import { PostgresFleetStore } from '../../src/store/fleet/postgres-fleet-store.js';
import { startPostgres, type PostgresServer } from '../support/postgres-server.js';
import { describePostgres } from '../support/describe-postgres.js';

const T0 = Date.UTC(2026, 11, 3, 12);
const host = (id: string) => ({ id, name: id, version: '0.1.0', startedAt: T0 });

describePostgres('the fleet store on PostgreSQL', () => {
  let server: PostgresServer;
  let counter = 0;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  fleetStoreConformance('postgres', async () => new PostgresFleetStore({ connectionString: await server.createDatabase(`fleet_${counter++}`) }));

  it('lets two daemons migrate the same empty database at once, to the same version', async () => {
    const url = await server.createDatabase('fleet_concurrent_migrations');
    const stores = [new PostgresFleetStore({ connectionString: url }), new PostgresFleetStore({ connectionString: url })];
    try {
      const [first, second] = await Promise.all(stores.map((store) => store.migrate()));
      expect(first).toBeGreaterThan(0);
      expect(second).toBe(first);
      // Each migration applied once.
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
        expect(rows.map((row) => row.version)).toEqual(Array.from({ length: first! }, (_, index) => index + 1));
      } finally {
        await client.end();
      }
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('works again on its next call after the server restarts, with no uncaught error meanwhile', async () => {
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', record);
    process.on('unhandledRejection', record);
    const poolErrors: Error[] = [];
    const store = new PostgresFleetStore({ connectionString: await server.createDatabase('fleet_restart'), onError: (error) => poolErrors.push(error) });
    try {
      await store.migrate();
      await store.registerHost(host('h-a'));
      // Several connections open and idle in the pool when the server goes away.
      await Promise.all([store.hosts(), store.hosts(), store.hosts(), store.hosts()]);

      const restarting = server.restart();
      // A call during the outage may answer (before the shutdown) or reject; it must not hang or throw elsewhere.
      const during = store.hosts().then(
        () => 'answered',
        (error: Error) => `rejected: ${error.message}`,
      );
      await restarting;
      expect(await during).toMatch(/^(answered|rejected: .+)$/);

      // The same store, its pool reconnecting: single statements and transactions.
      expect((await store.hosts()).map((each) => each.id)).toEqual(['h-a']);
      await store.registerHost(host('h-b'));
      expect(await store.acquireLease({ key: 'k', holder: 'h-a', limit: 1, ttlMs: 60_000, now: T0 })).toMatchObject({ granted: true });
      expect((await store.hosts()).map((each) => each.id)).toEqual(['h-a', 'h-b']);
      // The idle connections the restart ended were reported to onError, not thrown.
      expect(poolErrors.length).toBeGreaterThan(0);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', record);
      process.off('unhandledRejection', record);
      await store.close();
    }
  });
});
