/** `orchestrator run [--once] [--dry-run]`: the daemon, or one full cycle with its summary. */
import type { Command } from 'commander';
import { configFor, globalOptions, output, secretProblemsFor, EXIT } from '../context.js';
import { createDaemon, type Daemon } from '../../main.js';
import { createLogger } from '../../runtime/logger.js';
import { openFleetStore } from '../../fleet/open-fleet-store.js';
import { hostRecord } from '../../fleet/host-identity.js';
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
import type { Logger } from '../../core/logger.js';
import type { CommandRunner } from '../../core/ports.js';
import { ConfigError } from '../../core/errors.js';
import { ReloadableDaemon } from '../../runtime/reloadable-daemon.js';
import { liveView } from '../../runtime/live-view.js';
import { ownServiceUnit, reconcileSandbox, restartUnit, unitSandbox } from '../../deploy/sandbox-paths.js';
import { reloadConfiguration } from '../config-reload.js';

const SHUTDOWN_DEADLINE_MS = 15_000;
const ONCE_DELIVERY_MS = 15_000;

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the daemon: watch, detect, fix, verify, learn')
    .option('--once', 'run one full cycle, wait for its fixes, print the summary and exit')
    .option('--dry-run', 'decide and record what would be done, but do nothing')
    .option('--json', 'print the --once summary as JSON')
    .option('--no-strict', "start even when a secret variable the configuration names is unset, with a warning (an agent's API key stays an error)")
    .action(async (options: { once?: boolean; dryRun?: boolean; json?: boolean; strict: boolean }, command: Command) => {
      const globals = globalOptions(command);
      const config = configFor(globals);
      const logger = createLogger(config.logLevel, options.once ? 2 : 1);
      const secrets = secretProblemsFor(config);
      const blocking = options.strict ? secrets : secrets.filter((problem) => problem.fatal);
      if (blocking.length > 0) throw new ConfigError(config.source, blocking);
      for (const warning of secrets) logger.warn({ file: config.source, path: warning.path, variable: warning.variable }, `${config.source}  ${warning.path}: ${warning.message}`);
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
        // In a fleet every series says which host it is from.
        const metricsHost = config.store.postgres ? hostRecord(config, Date.now()).name : undefined;
        let metrics = serveWeb ? new PrometheusMetrics({ host: metricsHost }) : undefined;
        const fleetStore = openFleetStore(config, logger);
        if (!fleetStore && stores.replication.enabled()) {
          // This host left its fleet: nothing more is kept for a fleet store.
          stores.replication.disable();
          logger.info('no fleet store in the configuration: stopped keeping rows for one');
        }
        if (options.once) {
          const daemon = createDaemon({ config, logger, stores, dryRun: options.dryRun, metrics, fleetStore });
          daemon.orchestrator.resume();
          await daemon.fleet?.tick();
          const summary = await daemon.orchestrator.runOnce();
          await daemon.fleet?.tick();
          await fleetStore?.close();
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
        const runner = new ProcessCommandRunner();
        const notifier = systemdNotifier({ runner, clock: systemClock, logger });
        const lifecycle = new DaemonLifecycle({ logger, notifier, deadlineMs: SHUTDOWN_DEADLINE_MS, exit: (code) => process.exit(code) });
        // Run as a hardened unit: its sandbox must let the daemon write what this configuration names.
        const unit = ownServiceUnit();
        const sandbox = unit ? await unitSandbox(unit, runner) : undefined;
        if (sandbox && (await reconcileSandbox({ sandbox, config, runner, logger, dataDir: config.dataDir, now: Date.now(), reportUnwritable: true }))) {
          await restartForSandbox(lifecycle, sandbox.unit, runner, logger);
          return;
        }
        const host = new ReloadableDaemon<Daemon>(config, {
          build: (next) => createDaemon({ config: next, logger, stores, dryRun: options.dryRun, metrics, fleetStore }),
          loops: (generation, signal) => [
            generation.daemon.orchestrator.runForever(signal),
            generation.daemon.dispatcher.run(signal),
            ...(generation.daemon.fleet ? [generation.daemon.fleet.run(signal)] : []),
            runDailyBackups(generation.config, systemClock, logger, signal),
          ],
          logger,
        });
        // The dashboard reads the configuration and services of the generation running now, across reloads.
        let web: WebServer | undefined;
        const startWeb = async () => {
          const current = () => host.current.daemon;
          web = await startDashboard({
            config: liveView(() => host.current.config),
            stores,
            logger,
            readOnly: false,
            metrics,
            escalations: liveView(() => current().escalations),
            alerts: current().alerts && liveView(() => current().alerts!),
            silences: liveView(() => current().silences),
            fleet: fleetStore,
          }).catch((error: Error) => {
            // The dashboard is a window on the daemon: when it cannot listen, healing goes on and the log says why.
            logger.error({ error: error.message }, 'dashboard not started');
            return undefined;
          });
        };
        if (serveWeb) await startWeb();
        lifecycle.onShutdown('dashboard', () => web?.close());
        lifecycle.onShutdown('service adapters', () => host.current.daemon.adapter.close?.());
        if (fleetStore) lifecycle.onShutdown('fleet store', () => fleetStore.close());
        lifecycle.onReload(() =>
          reloadConfiguration({
            globals,
            strict: options.strict,
            logger,
            daemon: host,
            sandbox,
            runner,
            prepare: (next) => {
              if (next.web.enabled) metrics ??= new PrometheusMetrics({ host: metricsHost });
            },
            restartDashboard: async (next) => {
              await web?.close().catch((error: Error) => logger.error({ error: error.message }, 'reload: closing the dashboard failed'));
              web = undefined;
              if (next.web.enabled) await startWeb();
            },
          }),
        );
        // The watch passes at least every sweep while changes are pushed, every watchInterval while polling.
        const alive = () => host.current.daemon.orchestrator.madeProgress(Math.max(host.current.config.cycle.watchIntervalMs * 10, EVENT_SWEEP_MS * 2, 60_000));
        await lifecycle.run([(signal) => host.run(signal)], `watching ${config.services.length} service(s)`, alive, () => liveStatus(host.current.config.services.length, stores));
        logger.info('orchestrator stopped');
      } finally {
        lock.release();
        stores.close();
      }
    });
}

/**
 * Ready, then asks systemd to restart the unit (the drop-in with the configuration's paths is loaded by then)
 * and waits for the SIGTERM that brings. When the restart cannot be asked for, exits 1: Restart=on-failure
 * starts the daemon again, and the guard keeps that start from restarting once more.
 */
async function restartForSandbox(lifecycle: DaemonLifecycle, unit: string, runner: CommandRunner, logger: Logger): Promise<void> {
  await lifecycle.run(
    [
      async (signal) => {
        await lifecycle.ready;
        if (!(await restartUnit(unit, runner, logger))) {
          process.exitCode = EXIT.failure;
          lifecycle.stop('the restart for the sandbox paths failed');
          return;
        }
        if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      },
    ],
    'restarting to apply the sandbox paths its configuration needs',
    () => true,
  );
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
