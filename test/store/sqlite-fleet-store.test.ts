/** The fleet store's conformance suite on SQLite (a fleet of one host). */
import { fleetStoreConformance } from './fleet-store.conformance.js';
import { SqliteFleetStore } from '../../src/store/fleet/sqlite-fleet-store.js';

fleetStoreConformance('sqlite', async () => new SqliteFleetStore(':memory:'));
