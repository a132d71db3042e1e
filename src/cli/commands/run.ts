/** `orchestrator run [--once] [--dry-run]`: the daemon, or one full cycle with its summary. */
import type { Command } from 'commander';
import { configFor, globalOptions, output, EXIT } from '../context.js';
import { createDaemon } from '../../main.js';
import { createLogger } from '../../runtime/logger.js';
import { acquireInstanceLock } from '../../runtime/instance-lock.js';
import { openStores } from '../../store/stores.js';
import { formatCycleSummary } from '../format.js';

const SHUTDOWN_DEADLINE_MS = 15_000;
const ONCE_DELIVERY_MS = 15_000;

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the daemon: watch, detect, fix, verify, learn')
    .option('--once', 'run one full cycle, wait for its fixes, print the summary and exit')
    .option('--dry-run', 'decide and record what would be done, but do nothing')
    .option('--json', 'print the --once summary as JSON')
    .action(async (options: { once?: boolean; dryRun?: boolean; json?: boolean }, command: Command) => {
      const config = configFor(globalOptions(command));
      const logger = createLogger(config.logLevel, options.once ? 2 : 1);
      const stores = openStores(config.dataDir);
      const lock = (() => {
        try {
          return acquireInstanceLock(config.dataDir);
        } catch (error) {
          stores.close();
          throw error;
        }
      })();
      try {
        const daemon = createDaemon({ config, logger, stores, dryRun: options.dryRun });
        daemon.orchestrator.resume();
        if (options.once) {
          const summary = await daemon.orchestrator.runOnce();
          // Notifications queued by this cycle get one delivery attempt; what fails stays queued for the daemon.
          await daemon.dispatcher.deliverDue(AbortSignal.timeout(ONCE_DELIVERY_MS));
          output(options.json, summary, () => formatCycleSummary(summary));
          return;
        }
        logger.info(
          { config: config.source, dataDir: config.dataDir, services: config.services.length, dryRun: options.dryRun ?? config.safety.dryRun, pid: process.pid },
          'orchestrator started',
        );
        const controller = new AbortController();
        const stop = (signal: string) => {
          if (controller.signal.aborted) {
            logger.warn({ signal }, 'second signal: exiting now');
            process.exit(EXIT.failure);
          }
          logger.info({ signal }, 'shutting down: finishing in-flight work');
          controller.abort(new Error(`received ${signal}`));
          setTimeout(() => {
            logger.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'shutdown deadline passed: exiting');
            process.exit(EXIT.failure);
          }, SHUTDOWN_DEADLINE_MS).unref();
        };
        process.on('SIGTERM', () => stop('SIGTERM'));
        process.on('SIGINT', () => stop('SIGINT'));
        await Promise.all([daemon.orchestrator.runForever(controller.signal), daemon.dispatcher.run(controller.signal)]);
        logger.info('orchestrator stopped');
      } finally {
        lock.release();
        stores.close();
      }
    });
}
