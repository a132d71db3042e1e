/** Last-known-good service states, newest first, a few versions per service (service_states in tasks.db). */
import type { SqliteDatabase } from './database.js';
import type { ServiceState } from '../drift/service-state.js';
import { stateDigest } from '../drift/service-state.js';
import { toSqlTime } from './time.js';

/** Versions kept per service. */
export const STATE_VERSIONS = 5;

export class ServiceStateRepository {
  constructor(private readonly database: SqliteDatabase) {}

  /** The newest last-known-good state of the service, if any. */
  latest(service: string): ServiceState | undefined {
    return this.history(service, 1)[0];
  }

  /** Newest first. */
  history(service: string, limit = STATE_VERSIONS): ServiceState[] {
    const rows = this.database.prepare('SELECT state FROM service_states WHERE service = ? ORDER BY id DESC LIMIT ?').all(service, limit) as Array<{ state: string }>;
    return rows.map((row) => JSON.parse(row.state) as ServiceState);
  }

  /** Records a state as the newest last-known-good unless it equals the newest; keeps {@link STATE_VERSIONS}. Returns whether it was new. */
  record(state: ServiceState): boolean {
    const digest = stateDigest(state);
    const newest = this.database.prepare('SELECT digest FROM service_states WHERE service = ? ORDER BY id DESC LIMIT 1').get(state.service) as { digest: string } | undefined;
    if (newest?.digest === digest) return false;
    this.database.transaction(() => {
      this.database
        .prepare('INSERT INTO service_states (service, taken_at, digest, state) VALUES (?, ?, ?, ?)')
        .run(state.service, toSqlTime(state.takenAt), digest, JSON.stringify(state));
      this.database
        .prepare('DELETE FROM service_states WHERE service = ? AND id NOT IN (SELECT id FROM service_states WHERE service = ? ORDER BY id DESC LIMIT ?)')
        .run(state.service, state.service, STATE_VERSIONS);
    })();
    return true;
  }
}
