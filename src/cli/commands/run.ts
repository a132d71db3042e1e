/** `orchestrator run [--once] [--dry-run]`: the daemon, or one full cycle with its summary. */
import type { Command } from 'commander';
import { configFor, globalOptions, output } from '../context.js';
import { createDaemon } from '../../main.js';
import { createLogger } from '../../runtime/logger.js';
import { acquireInstanceLock } from '../../runtime/instance-lock.js';
import { openStores, type Stores } from '../../store/stores.js';
import { formatDuration } from '../../config/duration.js';
import { formatCycleSummary } from '../format.js';
import { systemdNotifier } from '../../runtime/systemd-notify.js';
import { ProcessCommandRunner } from '../../runtime/command-runner.js';
import { systemClock } from '../../runtime/clock.js';
import { PrometheusMetrics } from '../../web/metrics.js';
import { startDashboard } from '../web.js';
import { DaemonLifecycle } from '../../runtime/lifecycle.js';
import { runDailyBackups } from '../../runtime/daily-backups.js';
import { EVENT_SWEEP_MS } from '../../runtime/orchestrator.js';
import type { WebServer } from '../../web/server.js';

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
        const serveWeb = config.web.enabled && !options.once;
        const metrics = serveWeb ? new PrometheusMetrics() : undefined;
        const daemon = createDaemon({ config, logger, stores, dryRun: options.dryRun, metrics });
        daemon.orchestrator.resume();
        if (options.once) {
          const summary = await daemon.orchestrator.runOnce();
          // Notifications queued by this cycle get one delivery attempt; what fails stays queued for the daemon.
          await daemon.dispatcher.deliverDue(AbortSignal.timeout(ONCE_DELIVERY_MS));
          output(options.json, summary, () => formatCycleSummary(summary));
          await daemon.adapter.close?.();
          return;
        }
        logger.info(
          { config: config.source, dataDir: config.dataDir, services: config.services.length, dryRun: options.dryRun ?? config.safety.dryRun, pid: process.pid },
          'orchestrator started',
        );
        const notifier = systemdNotifier({ runner: new ProcessCommandRunner(), clock: systemClock, logger });
        const lifecycle = new DaemonLifecycle({ logger, notifier, deadlineMs: SHUTDOWN_DEADLINE_MS, exit: (code) => process.exit(code) });
        // The dashboard is a window on the daemon: when it cannot listen, healing goes on and the log says why.
        const web: WebServer | undefined = serveWeb
          ? await startDashboard({ config, stores, logger, readOnly: false, metrics, escalations: daemon.escalations, alerts: daemon.alerts, silences: daemon.silences }).catch((error: Error) => {
              logger.error({ error: error.message }, 'dashboard not started');
              return undefined;
            })
          : undefined;
        if (web) lifecycle.onShutdown('dashboard', () => web.close());
        lifecycle.onShutdown('service adapters', () => daemon.adapter.close?.());
        // The watch passes at least every sweep while changes are pushed, every watchInterval while polling.
        const alive = () => daemon.orchestrator.madeProgress(Math.max(config.cycle.watchIntervalMs * 10, EVENT_SWEEP_MS * 2, 60_000));
        await lifecycle.run(
          [(signal) => daemon.orchestrator.runForever(signal), (signal) => daemon.dispatcher.run(signal), (signal) => runDailyBackups(config, systemClock, logger, signal)],
          `watching ${config.services.length} service(s)`,
          alive,
          () => liveStatus(config.services.length, stores),
        );
        logger.info('orchestrator stopped');
      } finally {
        lock.release();
        stores.close();
      }
    });
}

/** What `systemctl status` shows as Status=: "12 services, 1 being fixed, 0 escalated, last cycle 3s ago". */
function liveStatus(services: number, stores: Stores): string {
  const tracking = stores.tasks.listTracking();
  const fixing = tracking.filter((task) => task.status === 'open' || task.status === 'running').length;
  const last = stores.state.lastCycle('full');
  const paused = stores.state.pause().paused ? ', PAUSED (no actions)' : '';
  const ago = last ? `last cycle ${formatDuration(Math.max(0, Date.now() - last.startedAt))} ago` : 'no cycle yet';
  return `${services} services, ${fixing} being fixed, ${stores.escalations.countActive()} escalated, ${ago}${paused}`;
}
