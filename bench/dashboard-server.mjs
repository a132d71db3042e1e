// The dashboard server as `orchestrator run` builds it, from the compiled dist/, over an existing data directory:
// the dashboard benchmark runs it in its own process so the load generator does not share its event loop.
// Usage: node dashboard-server.mjs DATA_DIR CONFIG_FILE; prints {"url":...,"token":...} on one line, stops on SIGTERM.
import { readFileSync } from 'node:fs';
import { openStores } from '../dist/store/stores.js';
import { parseConfigText } from '../dist/config/load.js';
import { silentLogger } from '../dist/core/logger.js';
import { createWebServer } from '../dist/web/server.js';

const [dataDir, configFile] = process.argv.slice(2);
if (!dataDir || !configFile) {
  process.stderr.write('usage: dashboard-server.mjs DATA_DIR CONFIG_FILE\n');
  process.exit(2);
}
const parsed = parseConfigText(readFileSync(configFile, 'utf8'), configFile);
// Port 0: any free port (the schema wants a real one, as a user's file must).
const config = { ...parsed, dataDir, web: { ...parsed.web, listen: '127.0.0.1', port: 0 } };
const stores = openStores(dataDir);
const server = createWebServer({ config, stores, readOnly: false, logger: silentLogger, isDaemonRunning: () => true });
const url = await server.listen();
process.stdout.write(`${JSON.stringify({ url, token: server.token })}\n`);

const stop = async () => {
  await server.close();
  stores.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
