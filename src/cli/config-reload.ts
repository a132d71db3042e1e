/**
 * What SIGHUP (systemctl reload) does in `orchestrator run`: load and validate the configuration file and the
 * secrets it names (the environment file is read again) exactly as at a start, then apply it, or keep the
 * configuration in use and log every problem, one error line each. A new data directory needs a restart; new
 * sandbox paths get the drop-in and a restart (deploy/sandbox-paths.ts); everything else is applied in place.
 */
import type { CompiledConfig } from '../config/compiled.js';
import type { ConfigProblem } from '../config/load.js';
import type { CommandRunner } from '../core/ports.js';
import type { Logger } from '../core/logger.js';
import { ConfigError } from '../core/errors.js';
import type { Daemon } from '../main.js';
import type { ReloadableDaemon } from '../runtime/reloadable-daemon.js';
import { reconcileSandbox, restartUnit, type UnitSandbox } from '../deploy/sandbox-paths.js';
import { configFor, loadEnvironmentFile, secretProblemsFor, type GlobalOptions } from './context.js';

export interface ReloadContext {
  globals: GlobalOptions;
  /** Whether an unset secret variable refuses the configuration (run --no-strict: a warning). */
  strict: boolean;
  logger: Logger;
  daemon: ReloadableDaemon<Daemon>;
  /** The unit's sandbox as this process was started in it (a running process's mount namespace does not change). */
  sandbox?: UnitSandbox;
  runner: CommandRunner;
  /** Called before the new daemon is built (the dashboard's metrics, when the web section turns it on). */
  prepare?(config: CompiledConfig): void;
  /** Restarts the dashboard with the new configuration: its web section changed, or the Alertmanager receiver came or went. */
  restartDashboard(config: CompiledConfig): Promise<void>;
}

/** Reloads; may return a follow-up for after systemd heard READY=1 (a restart for new sandbox paths). Never throws. */
export async function reloadConfiguration(context: ReloadContext): Promise<void | (() => Promise<void>)> {
  const { logger, daemon } = context;
  const current = daemon.current.config;
  logger.info({ config: current.source }, 'reload: reading the configuration again');
  let next: CompiledConfig;
  try {
    next = configFor(context.globals);
  } catch (error) {
    if (error instanceof ConfigError) return refuse(logger, error.file, error.problems);
    return refuse(logger, current.source, [{ path: '', message: (error as Error).message }]);
  }
  const secrets = secretProblemsFor(next, loadEnvironmentFile(next, true));
  const blocking = context.strict ? secrets : secrets.filter((problem) => problem.fatal);
  if (blocking.length > 0) return refuse(logger, next.source, blocking);
  for (const warning of secrets) logger.warn({ file: next.source, path: warning.path, variable: warning.variable }, `${next.source}  ${warning.path}: ${warning.message}`);
  if (JSON.stringify(next.store) !== JSON.stringify(current.store)) {
    return refuse(logger, next.source, [{ path: 'store', message: 'the fleet store would change: that needs a restart, not a reload' }]);
  }
  if (next.dataDir !== current.dataDir) {
    return refuse(logger, next.source, [
      { path: 'dataDir', message: `the data directory would change from ${current.dataDir} to ${next.dataDir}: that needs a restart, not a reload` },
    ]);
  }
  const apply = () => applyConfiguration(context, current, next);
  if (context.sandbox) {
    const restart = await reconcileSandbox({ sandbox: context.sandbox, config: next, runner: context.runner, logger, dataDir: current.dataDir, now: Date.now() });
    if (restart) {
      // The restart stops this process: asked for once systemd knows the reload is over.
      return async () => {
        if (!(await restartUnit(context.sandbox!.unit, context.runner, logger))) await apply();
      };
    }
  }
  await apply();
}

async function applyConfiguration(context: ReloadContext, current: CompiledConfig, next: CompiledConfig): Promise<void> {
  const { logger, daemon } = context;
  const level = logger as unknown as { level?: string };
  if (typeof level.level === 'string' && level.level !== next.logLevel) level.level = next.logLevel;
  // The dashboard is built with the daemon's Alertmanager intake, or without one: a receiver added or removed
  // needs it rebuilt too.
  const webChanged = JSON.stringify(current.web) !== JSON.stringify(next.web) || Boolean(current.alertmanager) !== Boolean(next.alertmanager);
  context.prepare?.(next);
  try {
    await daemon.replace(next);
  } catch (error) {
    logger.error({ file: next.source, error: (error as Error).message }, `configuration not applied: ${(error as Error).message}; the daemon goes on with the one it had`);
    return;
  }
  if (webChanged) await context.restartDashboard(next);
  logger.info(
    { config: next.source, services: next.services.length, dashboardRestarted: webChanged },
    `configuration reloaded: watching ${next.services.length} service(s)${webChanged ? '; the dashboard restarted with its new settings' : ''}`,
  );
}

/** Logs each problem on a line of its own (error level), then that the configuration in use stays. */
function refuse(logger: Logger, file: string, problems: ReadonlyArray<Pick<ConfigProblem, 'path' | 'message' | 'location'>>): void {
  for (const problem of problems) {
    logger.error(
      { file, path: problem.path, location: problem.location },
      `reload: ${file}${problem.location ? `:${problem.location}` : ''}  ${problem.path || '(file)'}: ${problem.message}`,
    );
  }
  logger.error({ file, problems: problems.length }, `configuration not reloaded (${problems.length} problem(s)): the daemon keeps the configuration it has`);
}
