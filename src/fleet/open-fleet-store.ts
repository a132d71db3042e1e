/**
 * The fleet store a configuration names: PostgreSQL with store.postgres (its URL read from the variable or file
 * the config gives), else none (the host is on its own). The one place that picks a backend.
 */
import type { CompiledConfig } from '../config/compiled.js';
import { readSecret } from '../notify/create-notifiers.js';
import type { Logger } from '../core/logger.js';
import type { FleetStore } from '../store/fleet/fleet-store.js';
import { PostgresFleetStore } from '../store/fleet/postgres-fleet-store.js';

export function openFleetStore(config: Pick<CompiledConfig, 'store'>, logger: Logger, env: NodeJS.ProcessEnv = process.env): FleetStore | undefined {
  const postgres = config.store.postgres;
  if (!postgres) return undefined;
  const url = readSecret("the fleet store's connection URL (store.postgres)", postgres.urlEnv, postgres.urlFile, env).split('\n')[0]!.trim();
  return new PostgresFleetStore({
    connectionString: url,
    poolMax: postgres.poolMax,
    // An idle connection dropped by a server restart: the pool opens a new one at the next call.
    onError: (error) => logger.warn({ store: 'postgres', error: error.message }, 'a fleet store connection was lost; the next call reconnects'),
  });
}
