/** `orchestrator run [--once] [--dry-run]`: the daemon, or one full cycle with its summary. */
import type { Command } from 'commander';
import { configFor, globalOptions, output, EXIT } from '../context.js';
import { createDaemon } from '../../main.js';
import { createLogger } from '../../runtime/logger.js';
import { acquireInstanceLock } from '../../runtime/instance-lock.js';
import { openStores } from '../../store/stores.js';
import { formatCycleSummary } from '../format.js';
import { systemdNotifier } from '../../runtime/systemd-notify.js';
import { ProcessCommandRunner } from '../../runtime/command-runner.js';
import { systemClock } from '../../runtime/clock.js';
import path from 'node:path';
import type { CompiledConfig } from '../../config/compiled.js';
import type { Logger } from '../../core/logger.js';
import { backupDatabases, listBackups, pruneBackups } from '../../store/backup.js';
import { PrometheusMetrics } from '../../web/metrics.js';
import { startDashboard } from '../web.js';
import type { WebServer } from '../../web/server.js';

const SHUTDOWN_DEADLINE_MS = 15_000;
const BACKUP_CHECK_MS = 10 * 60_000;

/** Once a day, an online backup of both databases; backups older than keepDays are pruned. */
async function dailyBackups(config: CompiledConfig, logger: Logger, signal: AbortSignal): Promise<void> {
  if (!config.backup.enabled) return;
  const directory = config.backup.directory ?? path.join(config.dataDir, 'backups');
  while (!signal.aborted) {
    try {
      const newest = listBackups(directory)[0];
      if (!newest || Date.now() - newest.createdAt >= 86_400_000) {
        const backup = await backupDatabases(config.dataDir, directory, Date.now());
        const pruned = pruneBackups(directory, config.backup.keepDays, Date.now());
        logger.info({ backup: backup.path, pruned: pruned.length }, 'daily backup written');
      }
    } catch (error) {
      logger.error({ error: (error as Error).message }, 'daily backup failed');
    }
    await systemClock.sleep(BACKUP_CHECK_MS, signal).catch(() => undefined);
  }
}
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
        const serveWeb = config.web.enabled && !options.once;
        const metrics = serveWeb ? new PrometheusMetrics() : undefined;
        const daemon = createDaemon({ config, logger, stores, dryRun: options.dryRun, metrics });
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
        // The dashboard is a window on the daemon: when it cannot listen, healing goes on and the log says why.
        const web: WebServer | undefined = serveWeb
          ? await startDashboard({ config, stores, logger, readOnly: false, metrics, escalations: daemon.escalations }).catch((error: Error) => {
              logger.error({ error: error.message }, 'dashboard not started');
              return undefined;
            })
          : undefined;
        process.on('SIGTERM', () => stop('SIGTERM'));
        process.on('SIGINT', () => stop('SIGINT'));
        const notifier = systemdNotifier({ runner: new ProcessCommandRunner(), clock: systemClock, logger });
        const alive = () => daemon.orchestrator.madeProgress(Math.max(config.cycle.watchIntervalMs * 10, 60_000));
        controller.signal.addEventListener('abort', () => void notifier.stopping(), { once: true });
        await Promise.all([
          daemon.orchestrator.runForever(controller.signal),
          daemon.dispatcher.run(controller.signal),
          notifier.ready(`watching ${config.services.length} service(s)`).then(() => notifier.watchdog(alive, controller.signal)),
          dailyBackups(config, logger, controller.signal),
        ]);
        await web?.close();
        logger.info('orchestrator stopped');
      } finally {
        lock.release();
        stores.close();
      }
    });
}
