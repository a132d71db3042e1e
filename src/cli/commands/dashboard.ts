/** `orchestrator dashboard`: the web dashboard on its own, read-only over the data directory. */
import type { Command } from 'commander';
import { configFor, globalOptions, storesFor } from '../context.js';
import { createLogger } from '../../runtime/logger.js';
import { openFleetStore } from '../../fleet/open-fleet-store.js';
import { startDashboard } from '../web.js';
import { UsageError } from '../../core/errors.js';
import type { CompiledConfig } from '../../config/compiled.js';

function port(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number > 65535) throw new UsageError(`--port expects a port number 0-65535, got "${value}"`);
  return number;
}

export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description('serve the dashboard and API read-only over the data directory (the daemon need not run)')
    .option('--listen <address>', 'address to bind (default web.listen, 127.0.0.1)')
    .option('--port <port>', 'port (default web.port, 8888; use another one while the daemon serves its own)', port)
    .action(async (options: { listen?: string; port?: number }, command: Command) => {
      const loaded = configFor(globalOptions(command));
      const config: CompiledConfig = { ...loaded, web: { ...loaded.web, listen: options.listen ?? loaded.web.listen, port: options.port ?? loaded.web.port } };
      const logger = createLogger(config.logLevel, 1);
      const stores = storesFor(config);
      // With a fleet store, `orchestrator dashboard` shows every host (from any machine that can reach it).
      const fleet = openFleetStore(config, logger);
      try {
        const server = await startDashboard({ config, stores, logger, readOnly: true, fleet });
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGTERM', stop);
          process.once('SIGINT', stop);
        });
        await server.close();
      } finally {
        await fleet?.close();
        stores.close();
      }
    });
}
