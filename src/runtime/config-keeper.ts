/**
 * Keeps each managed service's last-known-good configuration. A snapshot is taken only when the service is
 * healthy, its files differ from the stored snapshot, every file is older than the service's last start (so
 * the running service really loaded them), and its config test (if any) passes. A file edited after the start
 * is not "known good" until the service has been restarted with it and stayed healthy.
 */
import type { CompiledConfig, CompiledService } from '../config/compiled.js';
import type { Clock, CommandRunner, ServiceStatus } from '../core/ports.js';
import type { Logger } from '../core/logger.js';
import type { ConfigSnapshots } from '../store/config-snapshots.js';

export interface ConfigKeeperDependencies {
  snapshots: ConfigSnapshots;
  runner: CommandRunner;
  config: CompiledConfig;
  clock: Clock;
  logger: Logger;
}

export class ConfigKeeper {
  constructor(private readonly dependencies: ConfigKeeperDependencies) {}

  /** Refreshes the snapshots of the healthy services given; never throws. */
  async refresh(services: readonly CompiledService[], statuses: ReadonlyMap<string, ServiceStatus>, signal?: AbortSignal): Promise<void> {
    for (const service of services) {
      if (service.configPaths.length === 0) continue;
      try {
        await this.refreshOne(service, statuses.get(service.unit), signal);
      } catch (error) {
        this.dependencies.logger.warn({ service: service.name, error: (error as Error).message }, 'could not snapshot the configuration');
      }
    }
  }

  private async refreshOne(service: CompiledService, status: ServiceStatus | undefined, signal?: AbortSignal): Promise<void> {
    const { snapshots, runner, config, clock, logger } = this.dependencies;
    if (!status || status.state !== 'running' || status.activeSince === null) return;
    if (snapshots.has(service.name) && snapshots.diff(service.name, service.configPaths).length === 0) return;
    if (snapshots.newestChange(service.configPaths) >= status.activeSince) return;
    if (service.configTest) {
      const result = await runner.run(service.configTest, { timeoutMs: config.safety.commandTimeoutMs, signal, maxOutputBytes: config.safety.maxOutputBytes });
      if (result.exitCode !== 0) return;
    }
    const files = snapshots.take(service.name, service.configPaths, clock.now());
    logger.info({ service: service.name, files }, 'last-known-good configuration snapshot taken');
  }
}
