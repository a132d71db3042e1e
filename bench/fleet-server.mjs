// The dashboard server as `orchestrator run` builds it (compiled dist/) with a PostgreSQL fleet store, for the
// fleet benchmark, in its own process so the load generator does not share its event loop.
// Usage: node fleet-server.mjs DATA_DIR POSTGRES_URL; prints {"url":...,"token":...} on one line, stops on SIGTERM.
import { openStores } from '../dist/store/stores.js';
import { parseConfigText } from '../dist/config/load.js';
import { silentLogger } from '../dist/core/logger.js';
import { createWebServer } from '../dist/web/server.js';
import { PostgresFleetStore } from '../dist/store/fleet/postgres-fleet-store.js';

const [dataDir, url] = process.argv.slice(2);
if (!dataDir || !url) {
  process.stderr.write('usage: fleet-server.mjs DATA_DIR POSTGRES_URL\n');
  process.exit(2);
}
const parsed = parseConfigText('services: []\n', 'bench');
const config = { ...parsed, dataDir, web: { ...parsed.web, listen: '127.0.0.1', port: 0 } };
const stores = openStores(dataDir);
const fleet = new PostgresFleetStore({ connectionString: url, poolMax: 4 });
const server = createWebServer({ config, stores, readOnly: true, logger: silentLogger, isDaemonRunning: () => true, fleet });
const address = await server.listen();
process.stdout.write(`${JSON.stringify({ url: address, token: server.token })}\n`);

const stop = async () => {
  await server.close();
  await fleet.close();
  stores.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
